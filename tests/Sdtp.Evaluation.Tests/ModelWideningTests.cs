using Sdtp.Evaluation.BaseTraining;
using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Evaluation.Tests;

public class ModelWideningTests
{
    private static readonly ModelConfig Small = BaseModelTrainer.DefaultConfig with { HiddenSize = 32, IntermediateSize = 64, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 8, NumHiddenLayers = 3 };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_widened_model_computes_the_same_logits_and_every_new_weight_gets_a_gradient(bool tied)
    {
        manual_seed(3);
        using var narrow = new LlamaForCausalLM(Small with { TieWordEmbeddings = tied }, CPU);
        using var wide = ModelWidening.Widen(narrow, 2);
        Assert.Equal((64, 128, 8, 4, 8), (wide.Config.HiddenSize, wide.Config.IntermediateSize, wide.Config.NumAttentionHeads, wide.Config.NumKeyValueHeads, wide.Config.HeadDim));

        var ids = GrownModelAssert.SameLogits(narrow, wide, 5e-5f);

        // The new residual dimensions start at zero; training must be able to move them: the zero writes get gradients.
        var logits = wide.Forward(ids, allLogits: true);
        logits.log_softmax(-1).mean().backward();
        var grads = wide.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad);
        Assert.True(grads["model.layers.0.self_attn.o_proj.weight"]!.narrow(0, 32, 32).abs().sum().item<float>() > 0);
        Assert.True(grads["model.layers.2.mlp.down_proj.weight"]!.narrow(1, 64, 64).abs().sum().item<float>() > 0);
        Assert.True(grads["model.embed_tokens.weight"]!.narrow(1, 32, 32).abs().sum().item<float>() > 0);
    }

    [Fact]
    public void A_factor_below_two_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => ModelWidening.WiderConfig(Small, 1));
        Assert.Contains("--widen must be at least 2 (got 1)", error.Message);
    }
}
