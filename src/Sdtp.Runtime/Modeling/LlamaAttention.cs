using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sdtp.Modeling;

/// <summary>Grouped-query self-attention with rotary positions. Field names match HF weights (<c>q_proj</c>, ...).</summary>
public sealed class LlamaAttention : nn.Module
{
    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear o_proj;
    private readonly int heads, kvHeads, headDim;
    private readonly int? slidingWindow;

    /// <summary>Projections shaped by <paramref name="config"/>.</summary>
    public LlamaAttention(ModelConfig config, Device? device = null, ScalarType? dtype = null, ParameterInit init = ParameterInit.Random) : base(nameof(LlamaAttention))
    {
        heads = config.NumAttentionHeads;
        kvHeads = config.NumKeyValueHeads;
        headDim = config.HeadDim;
        slidingWindow = config.SlidingWindow;
        var bias = config.AttentionBias;
        q_proj = InitializedLayers.Linear(config.HiddenSize, heads * headDim, bias.Query, device, dtype, init);
        k_proj = InitializedLayers.Linear(config.HiddenSize, kvHeads * headDim, bias.Key, device, dtype, init);
        v_proj = InitializedLayers.Linear(config.HiddenSize, kvHeads * headDim, bias.Value, device, dtype, init);
        o_proj = InitializedLayers.Linear(heads * headDim, config.HiddenSize, bias.Output, device, dtype, init);
        RegisterComponents();
    }

    /// <summary>
    /// Attention of <paramref name="hidden"/> [B, T, d] over the cached tokens (if any) and itself.
    /// </summary>
    /// <param name="rope">cos/sin of these tokens' position ids.</param>
    /// <param name="valid">[B, T] bool, false for padding; null when none.</param>
    /// <param name="cache">This layer's cache: the new keys/values are appended to it. Null runs without one.</param>
    /// <param name="keyKeep">Soft pruning during training: [B, T] keep mask in [0, 1] on keys (no cache); null for none.</param>
    public Tensor Forward(Tensor hidden, RotaryTable rope, Tensor? valid, LayerKvCache? cache, Tensor? keyKeep = null)
    {
        using var scope = NewDisposeScope();
        long b = hidden.shape[0], t = hidden.shape[1];
        var q = q_proj.forward(hidden).view(b, t, heads, headDim).transpose(1, 2);
        var k = k_proj.forward(hidden).view(b, t, kvHeads, headDim).transpose(1, 2);
        var v = v_proj.forward(hidden).view(b, t, kvHeads, headDim).transpose(1, 2);
        q = RotaryEmbedding.Apply(q, rope);
        k = RotaryEmbedding.Apply(k, rope);

        Tensor? keyValid = valid;
        if (cache is not null)
            (k, v, keyValid) = cache.Append(k, v, valid);
        if (slidingWindow is int window && k.shape[2] > window)
            throw new NotSupportedException(
                $"{k.shape[2]} keys exceed the config's sliding_window of {window}; sliding-window attention is not implemented");

        var attended = ScaledDotProductAttention.Attend(q, k, v, keyValid, keyKeep); // grouped-query attention handled there
        var merged = attended.transpose(1, 2).reshape(b, t, heads * headDim);
        return o_proj.forward(merged).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// How much the last <paramref name="queries"/> tokens attend to each token: softmax(q k^T / sqrt(d)) under the
    /// causal mask, averaged over heads and those queries. [B, n]. Training-free pruning policies (LazyLLM, FastV)
    /// rank tokens by it; computing it for a few queries costs O(n), not the O(n^2) of the full attention.
    /// </summary>
    /// <param name="normedHidden">[B, n, d] hidden states after this layer's input norm.</param>
    /// <param name="valid">[B, n] bool, false for padding; null when none.</param>
    public Tensor LastTokensAttention(Tensor normedHidden, RotaryTable rope, Tensor? valid, int queries)
    {
        using var scope = NewDisposeScope();
        long b = normedHidden.shape[0], n = normedHidden.shape[1];
        int qn = (int)Math.Min(queries, n);
        var last = normedHidden.narrow(1, n - qn, qn);
        var q = q_proj.forward(last).view(b, qn, heads, headDim).transpose(1, 2);
        var k = k_proj.forward(normedHidden).view(b, n, kvHeads, headDim).transpose(1, 2);
        var lastRope = new RotaryTable(rope.Cos.narrow(1, n - qn, qn), rope.Sin.narrow(1, n - qn, qn));
        q = RotaryEmbedding.Apply(q, lastRope);
        k = RotaryEmbedding.Apply(k, rope);
        if (kvHeads != heads) k = k.repeat_interleave(heads / kvHeads, dim: 1);
        var scores = q.matmul(k.transpose(-2, -1)).DividedBy(Math.Sqrt(headDim));
        scores = scores.Plus(ScaledDotProductAttention.BuildMask(valid, qn, n, scores.dtype, scores.device));
        var probabilities = scores.to_type(ScalarType.Float32).softmax(-1);      // [B, H, qn, n]
        return probabilities.mean([1, 2]).MoveToOuterDisposeScope();
    }
}
