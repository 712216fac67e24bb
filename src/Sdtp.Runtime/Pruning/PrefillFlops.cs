using Sdtp.Modeling;

namespace Sdtp.Pruning;

/// <summary>Analytic prefill FLOPs (multiply-adds x 2) of a dense and a pruned run, and their ratio.</summary>
/// <param name="Dense">FLOPs with every layer on every token.</param>
/// <param name="Pruned">FLOPs with each layer on the tokens that reach it, the saliency heads included.</param>
public sealed record FlopsEstimate(double Dense, double Pruned)
{
    /// <summary>1 - pruned / dense.</summary>
    public double Reduction => Dense == 0 ? 0 : 1 - Pruned / Dense;
}

/// <summary>
/// The FLOPs formulas of <c>SDTP-METHOD.md</c>. Project convention, per layer on n tokens (GQA-aware, causal):
/// projections 2n(d*q + 2*d*kv + q*d) with q = heads*head_dim, kv = kv_heads*head_dim; attention 2*2*n*c*q with c =
/// (n+1)/2 keys on average under the causal mask; SwiGLU 2*3*n*d*m. A head of i hidden units (i = d/4 by default) at
/// a stage adds 2n(d*i + i*2); the LM
/// head 2*d*V for the last position only, dense and pruned alike. Selection (top-k, gather) is not counted. The
/// paper's convention: per layer 8nd^2 + 6ndm + 3n^2 d (no GQA), plus 4nVd.
/// </summary>
public static class PrefillFlops
{
    /// <summary>Project-convention FLOPs of one layer on <paramref name="tokens"/> tokens.</summary>
    public static double Layer(ModelConfig c, long tokens)
    {
        double n = tokens, d = c.HiddenSize, m = c.IntermediateSize;
        double q = (double)c.NumAttentionHeads * c.HeadDim, kv = (double)c.NumKeyValueHeads * c.HeadDim;
        double projections = 2 * n * (d * q + 2 * d * kv + q * d);
        double attention = 2 * 2 * n * ((n + 1) / 2) * q;
        double mlp = 2 * 3 * n * d * m;
        return projections + attention + mlp;
    }

    /// <summary>FLOPs of one saliency head of <paramref name="headInnerSize"/> hidden units (default d/4) on <paramref name="tokens"/> tokens.</summary>
    public static double Head(ModelConfig c, long tokens, long? headInnerSize = null)
    {
        double d = c.HiddenSize, inner = headInnerSize ?? SaliencyHead.DefaultInnerSize(c.HiddenSize);
        return 2.0 * tokens * (d * inner + inner * 2);
    }

    /// <summary>
    /// Project-convention prefill FLOPs of a <paramref name="length"/>-token prompt under <paramref name="schedule"/>,
    /// with heads of <paramref name="headInnerSize"/> hidden units (default d/4).
    /// </summary>
    public static FlopsEstimate Estimate(ModelConfig c, PruningSchedule schedule, int length, long? headInnerSize = null)
    {
        var perLayer = schedule.TokensPerLayer(length, c.NumHiddenLayers);
        double lmHead = 2.0 * c.HiddenSize * c.VocabSize;
        double dense = c.NumHiddenLayers * Layer(c, length) + lmHead;
        double pruned = lmHead;
        int present = length;
        for (int layer = 0; layer < c.NumHiddenLayers; layer++)
        {
            // The head scores the tokens reaching a stage only when the stage drops some (as the prefill does).
            if (schedule.StageAt(layer) >= 0 && perLayer[layer] < present)
                pruned += Head(c, present, headInnerSize);
            pruned += Layer(c, perLayer[layer]);
            present = perLayer[layer];
        }
        return new FlopsEstimate(dense, pruned);
    }

    /// <summary>The same under the paper's counting (per layer 8nd^2 + 6ndm + 3n^2 d; LM head 4nVd on the tokens left).</summary>
    public static FlopsEstimate EstimatePaperConvention(ModelConfig c, PruningSchedule schedule, int length)
    {
        double d = c.HiddenSize, m = c.IntermediateSize, v = c.VocabSize;
        double LayerFlops(double n) => 8 * n * d * d + 6 * n * d * m + 3 * n * n * d;
        var perLayer = schedule.TokensPerLayer(length, c.NumHiddenLayers);
        double dense = c.NumHiddenLayers * LayerFlops(length) + 4 * length * v * d;
        double pruned = perLayer.Sum(n => LayerFlops(n)) + 4 * perLayer[^1] * v * d;
        return new FlopsEstimate(dense, pruned);
    }
}
