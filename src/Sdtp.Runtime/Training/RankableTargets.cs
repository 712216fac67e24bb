using Sdtp.Pruning;

namespace Sdtp.Training;

/// <summary>
/// The targets a head learns at one stage: the marked saliency rescaled so the most salient token the head can
/// actually drop scores 1. Forced tokens (the first few and the recent window, where the question and answer sit) are
/// never ranked, yet on retrieval samples they hold most of the saliency: normalised over the whole row, every needle
/// token at the deeper stages fell below 0.01 of the maximum (measured on the default model: 0 at stage 7), under the
/// ranking loss's "important" threshold, so the deep heads learnt nothing about what to keep. Forced tokens clamp at 1.
/// </summary>
public static class RankableTargets
{
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
