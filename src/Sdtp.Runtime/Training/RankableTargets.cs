using Sdtp.Pruning;

namespace Sdtp.Training;

/// <summary>
/// The targets a head learns at one stage. <see cref="CarriedForward"/>: a token keeps the largest saliency it had at
/// this stage or any earlier one. <see cref="Rescale"/>: the most salient token the head can actually drop scores 1.
/// Rescaling is needed because forced tokens (the first few and the recent window, where the question and answer sit) are
/// never ranked, yet on retrieval samples they hold most of the saliency: normalised over the whole row, every needle
/// token at the deeper stages fell below 0.01 of the maximum (measured on the default model: 0 at stage 7), under the
/// ranking loss's "important" threshold, so the deep heads learnt nothing about what to keep. Forced tokens clamp at 1.
/// </summary>
public static class RankableTargets
{
    /// <summary>
    /// The target of stage <paramref name="stage"/>: each token's largest normalised saliency over stages 0..stage.
    /// A token dropped at a stage is gone from every later layer, and a stage's gradient x input is only a first-order
    /// estimate: it can rate low a token that was salient before and that later layers still need. Used directly as the
    /// pruning score on the default model (40 samples per task at 512 and 1024 tokens, dense 40 of 40 right): per-stage
    /// saliency kept 26 multi-key and 25 multi-value answers, carried forward 40 and 40 (passkey 40 both).
    /// </summary>
    public static float[] CarriedForward(IReadOnlyList<float[]> saliency, int stage)
    {
        if (stage < 0 || stage >= saliency.Count)
            throw new ArgumentOutOfRangeException(nameof(stage), stage, $"the sample has {saliency.Count} stages");
        var carried = (float[])saliency[0].Clone();
        for (int k = 1; k <= stage; k++)
            for (int i = 0; i < carried.Length; i++) carried[i] = Math.Max(carried[i], saliency[k][i]);
        return carried;
    }

    /// <summary><paramref name="saliency"/> (normalised, in [0, 1]) rescaled over the tokens that are not forced.</summary>
    public static float[] Rescale(float[] saliency, AlwaysKeepTokens alwaysKeep)
    {
        int length = saliency.Length;
        int first = Math.Min(alwaysKeep.Initial, length), end = length - alwaysKeep.RecentCount(length);
        float max = 0;
        for (int i = first; i < end; i++) max = Math.Max(max, saliency[i]);
        if (max <= 0) return (float[])saliency.Clone();
        return saliency.Select(v => Math.Min(1f, v / max)).ToArray();
    }
}
