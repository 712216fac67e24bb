using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

/// <summary>Small random models for tests: big enough to exercise GQA, several layers and RoPE, fast on a CPU.</summary>
internal static class TinyModels
{
    public static ModelConfig Config(string modelType = "llama", bool tied = false, int kvHeads = 2, int layers = 3) => new()
    {
        ModelType = modelType,
        HiddenSize = 32,
        IntermediateSize = 64,
        NumHiddenLayers = layers,
        NumAttentionHeads = 4,
        NumKeyValueHeads = kvHeads,
        HeadDim = 8,
        VocabSize = 50,
        RmsNormEps = 1e-5,
        RopeTheta = 10000,
        TieWordEmbeddings = tied,
        AttentionBias = modelType == "qwen2" ? new AttentionBias(true, true, true, false) : AttentionBias.None,
        MaxPositionEmbeddings = 512,
        EosTokenIds = [2],
        BosTokenId = 1,
    };

    /// <summary>A model with seeded random weights (norm weights perturbed too, so they are tested).</summary>
    public static LlamaForCausalLM Random(ModelConfig config, long seed = 1234, ScalarType dtype = ScalarType.Float32)
    {
        manual_seed(seed);
        var model = new LlamaForCausalLM(config, CPU, dtype);
        using var noGrad = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.add_(randn_like(p) * 0.1);
            if (name.EndsWith("bias", StringComparison.Ordinal)) p.add_(randn_like(p) * 0.1);
        }
        return model;
    }

    public static Tensor Ids(params long[] ids) => tensor(ids).unsqueeze(0);
}
