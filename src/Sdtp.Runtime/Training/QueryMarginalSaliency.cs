namespace Sdtp.Training;

/// <summary>
/// Saliency targets for a context that could be asked several questions. A head scores token i from hidden states that
/// (causally) cannot see the question at the end of the prompt, so the best it can learn is how much token i matters
/// to ANY question the context may be asked: the per-token maximum of the normalised saliency over the questions.
/// Marked on the asked question alone, a multi-key sample teaches the heads that every other key is filler, which no
/// head can tell apart from the asked key when the question has not been read yet.
/// </summary>
public static class QueryMarginalSaliency
{
    /// <summary>
    /// <paramref name="asked"/> with each stage's saliency raised, over the tokens it shares with each of
    /// <paramref name="others"/> (their common prefix of ids: the context), to the largest of the samples' values.
    /// The question and answer tokens keep <paramref name="asked"/>'s own saliency.
    /// </summary>
    public static MarkedSample Combine(MarkedSample asked, IEnumerable<MarkedSample> others)
    {
        var saliency = asked.Saliency.Select(s => (float[])s.Clone()).ToArray();
        foreach (var other in others)
        {
            if (other.Saliency.Length != saliency.Length)
                throw new ArgumentException($"a sample marked for {other.Saliency.Length} stages cannot combine with one marked for {saliency.Length}", nameof(others));
            int shared = CommonPrefix(asked.Ids, other.Ids);
            for (int stage = 0; stage < saliency.Length; stage++)
                for (int i = 0; i < shared; i++)
                    saliency[stage][i] = Math.Max(saliency[stage][i], other.Saliency[stage][i]);
        }
        return new MarkedSample(asked.Ids, asked.Targets, saliency);
    }

    private static int CommonPrefix(long[] a, long[] b)
    {
        int n = Math.Min(a.Length, b.Length), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }
}
