using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Evaluation.BaseTraining;

/// <summary>
/// Grows a trained model <c>factor</c> times wider (hidden size, SwiGLU width, query and key/value heads; head width,
/// depth and vocabulary unchanged) without changing what it computes, so that training can go on from what it already
/// knows with more capacity (Net2Net's idea, with zero-initialised writes instead of copied units).
/// <para>
/// The old weights fill the leading block of each new matrix. Everything that WRITES into the residual stream outside
/// that block (the embedding's new columns, the new rows and columns of <c>o_proj</c> and <c>down_proj</c>) starts at
/// zero, so the new residual dimensions stay zero and the new heads and SwiGLU units add nothing; everything that only
/// READS (new q/k/v/gate/up rows and columns, the LM head's new columns) keeps the wider model's random
/// initialisation, which is what lets gradients reach the zero writes. RMSNorm averages over the wider stream, whose
/// new dimensions are zero, so each norm's old weights are scaled by sqrt(d/d') and its epsilon by d/d' to give the same
/// output.
/// </para>
/// </summary>
public static class ModelWidening
{
    /// <summary>The architecture of <paramref name="config"/> made <paramref name="factor"/> times wider.</summary>
    /// <exception cref="ArgumentException">The factor is below 2.</exception>
    public static ModelConfig WiderConfig(ModelConfig config, int factor)
    {
        if (factor < 2) throw new ArgumentException($"--widen must be at least 2 (got {factor})");
        return config with
        {
            HiddenSize = config.HiddenSize * factor,
            IntermediateSize = config.IntermediateSize * factor,
            NumAttentionHeads = config.NumAttentionHeads * factor,
            // The same number of query heads per key/value head keeps every old head on its own key/value head.
            NumKeyValueHeads = config.NumKeyValueHeads * factor,
            // The mean square over the wider stream is the old one / factor: so must epsilon be, for the same output.
            RmsNormEps = config.RmsNormEps / factor,
        };
    }

    /// <summary>A model <paramref name="factor"/> times wider than <paramref name="source"/> with the same logits (to rounding).</summary>
    public static LlamaForCausalLM Widen(LlamaForCausalLM source, int factor)
    {
        var config = WiderConfig(source.Config, factor);
        var wider = new LlamaForCausalLM(config, source.Device, source.DType);
        double normScale = Math.Sqrt((double)source.Config.HiddenSize / config.HiddenSize);
        var old = source.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var _ = no_grad();
        foreach (var (name, target) in wider.named_parameters())
        {
            if (config.TieWordEmbeddings && name == "lm_head.weight") continue; // the embedding's storage, set with it
            using var scope = NewDisposeScope();
            var from = old[name];
            if (name.EndsWith("norm.weight", StringComparison.Ordinal))
            {
                target.FillWith(normScale);
                Block(target, from).copy_(from.Times(normScale));
                continue;
            }
            if (WritesResidual(name)) target.zero_();
            Block(target, from).copy_(from);
        }
        return wider;
    }

    // The parameters whose output lands in the residual stream (the LM head only reads it; a tied one is the embedding).
    private static bool WritesResidual(string name) =>
        name == "model.embed_tokens.weight" || ResidualWrites.IsLayerWrite(name);

    // The leading block of target with source's shape (rows first, then columns).
    private static Tensor Block(Tensor target, Tensor source)
    {
        var block = target;
        for (int dim = 0; dim < source.dim(); dim++)
            block = block.narrow(dim, 0, source.shape[dim]);
        return block;
    }
}
