using static TorchSharp.torch;

namespace Sdtp.Modeling;

/// <summary>
/// One pre-norm decoder layer. Callers may run layers one at a time with their own hidden states, position ids,
/// validity and cache, which is what lets pruning shorten the sequence between layers.
/// </summary>
public sealed class LlamaDecoderLayer : nn.Module
{
    private readonly RmsNorm input_layernorm;
    private readonly LlamaAttention self_attn;
    private readonly RmsNorm post_attention_layernorm;
    private readonly LlamaMlp mlp;

    /// <summary>A layer shaped by <paramref name="config"/>.</summary>
    public LlamaDecoderLayer(ModelConfig config, Device? device = null, ScalarType? dtype = null, ParameterInit init = ParameterInit.Random) : base(nameof(LlamaDecoderLayer))
    {
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        self_attn = new LlamaAttention(config, device, dtype, init);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        mlp = new LlamaMlp(config, device, dtype, init);
        RegisterComponents();
    }

    /// <summary>The attention block (exposed for policies that inspect attention scores).</summary>
    public LlamaAttention SelfAttention => self_attn;

    /// <summary>The norm applied before attention.</summary>
    public RmsNorm InputLayerNorm => input_layernorm;

    /// <summary>hidden + attn(norm(hidden)), then + mlp(norm(.)). See <see cref="LlamaAttention.Forward"/> for the arguments.</summary>
    public Tensor Forward(Tensor hidden, RotaryTable rope, Tensor? valid, LayerKvCache? cache, Tensor? keyKeep = null)
    {
        using var scope = NewDisposeScope();
        var attended = self_attn.Forward(input_layernorm.forward(hidden), rope, valid, cache, keyKeep);
        var h = hidden.Plus(attended);
        var output = h.Plus(mlp.forward(post_attention_layernorm.forward(h)));
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>Attention of the last <paramref name="queries"/> tokens over all tokens at this layer, [B, n]; see <see cref="LlamaAttention.LastTokensAttention"/>.</summary>
    public Tensor LastTokensAttention(Tensor hidden, RotaryTable rope, Tensor? valid, int queries)
    {
        using var scope = NewDisposeScope();
        return self_attn.LastTokensAttention(input_layernorm.forward(hidden), rope, valid, queries).MoveToOuterDisposeScope();
    }
}
