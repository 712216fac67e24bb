using Sdtp.Evaluation.BaseTraining;
using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Evaluation.Tests;

public class ModelDeepeningTests
{
    private static readonly ModelConfig Small = BaseModelTrainer.DefaultConfig with { HiddenSize = 32, IntermediateSize = 64, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 8, NumHiddenLayers = 4 };

    [Theory]
    [InlineData(8, 4, new[] { 0, 1, -1, 2, 3, -1, 4, 5, -1, 6, 7, -1 })]
    [InlineData(4, 4, new[] { 0, -1, 1, -1, 2, -1, 3, -1 })]
    [InlineData(8, 1, new[] { 0, 1, 2, 3, 4, 5, 6, 7, -1 })]
    [InlineData(8, 3, new[] { 0, 1, -1, 2, 3, 4, -1, 5, 6, 7, -1 })]
    public void New_layers_are_spread_evenly_between_the_old_ones(int oldLayers, int added, int[] expected) =>
        Assert.Equal(expected, ModelDeepening.LayerSources(oldLayers, added).Select(s => s ?? -1));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_deepened_model_computes_the_same_logits_and_its_new_layers_get_gradients(bool tied)
    {
        manual_seed(5);
        using var shallow = new LlamaForCausalLM(Small with { TieWordEmbeddings = tied }, CPU);
        using var deep = ModelDeepening.Deepen(shallow, 2);
        Assert.Equal(6, deep.Config.NumHiddenLayers);
        Assert.Equal(6, deep.Layers.Count);

        var ids = GrownModelAssert.SameLogits(shallow, deep, 1e-5f);

        // Old layer 1 is new layer 1; new layer 2 (an identity) follows it; old layer 2 is new layer 3.
        var weights = deep.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var old = shallow.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(0f, (weights["model.layers.3.self_attn.q_proj.weight"] - old["model.layers.2.self_attn.q_proj.weight"]).abs().max().item<float>());
        Assert.Equal(0f, weights["model.layers.2.self_attn.o_proj.weight"].abs().sum().item<float>());
        Assert.True(weights["model.layers.2.self_attn.q_proj.weight"].abs().sum().item<float>() > 0);

        // The new layers add nothing yet; training must be able to move them: their zero writes get gradients.
        deep.Forward(ids, allLogits: true).log_softmax(-1).mean().backward();
        foreach (var layer in new[] { 2, 5 })
        {
            Assert.True(weights[$"model.layers.{layer}.self_attn.o_proj.weight"].grad!.abs().sum().item<float>() > 0);
            Assert.True(weights[$"model.layers.{layer}.mlp.down_proj.weight"].grad!.abs().sum().item<float>() > 0);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void A_count_outside_one_to_the_depth_is_refused(int added)
    {
        var error = Assert.Throws<ArgumentException>(() => ModelDeepening.LayerSources(4, added));
        Assert.Contains($"--add-layers must be between 1 and the model's 4 layers (got {added})", error.Message);
    }
}
