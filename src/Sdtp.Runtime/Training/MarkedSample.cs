namespace Sdtp.Training;

/// <summary>
/// One training sample for the heads, carrying its own saliency targets: ids, which tokens are targets, and the
/// normalised saliency of every stage. Keeping targets inside the sample (never in a parallel list) is what stops
/// them being shuffled apart from their sample, a bug of public reproductions.
/// </summary>
public sealed record MarkedSample
{
    /// <summary>A sample; every array must have the length of <paramref name="ids"/>.</summary>
    public MarkedSample(long[] ids, bool[] targets, float[][] saliency)
    {
        if (targets.Length != ids.Length)
            throw new ArgumentException($"targets has {targets.Length} entries for {ids.Length} ids", nameof(targets));
        for (int s = 0; s < saliency.Length; s++)
        {
            if (saliency[s].Length != ids.Length)
                throw new ArgumentException($"saliency of stage {s} has {saliency[s].Length} entries for {ids.Length} ids: it belongs to another sample", nameof(saliency));
            int bad = Array.FindIndex(saliency[s], v => !float.IsFinite(v));
            if (bad >= 0)
                throw new ArgumentException($"saliency of stage {s} is {saliency[s][bad]} at position {bad}: targets must be finite", nameof(saliency));
        }
        if (!targets.Any(t => t))
            throw new ArgumentException("a sample needs at least one target token", nameof(targets));
        Ids = ids;
        Targets = targets;
        Saliency = saliency;
    }

    /// <summary>Token ids: prompt then targets.</summary>
    public long[] Ids { get; }

    /// <summary>True for target tokens (their log-likelihood is T in marking and the LM loss in training).</summary>
    public bool[] Targets { get; }

    /// <summary>Per stage, the normalised saliency of each token (in [0, 1]).</summary>
    public float[][] Saliency { get; }
}
