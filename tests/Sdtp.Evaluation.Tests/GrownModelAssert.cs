using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Evaluation.Tests;

/// <summary>Checks shared by the tests of models grown from trained ones (wider, deeper).</summary>
internal static class GrownModelAssert
{
    /// <summary>
    /// <paramref name="grown"/> computes <paramref name="original"/>'s logits on random ids to within
    /// <paramref name="tolerance"/>; returns the ids, for a backward pass on the grown model next.
    /// </summary>
    public static Tensor SameLogits(LlamaForCausalLM original, LlamaForCausalLM grown, float tolerance)
    {
        var ids = randint(3, original.Config.VocabSize, [2, 40], dtype: ScalarType.Int64);
        using var _ = no_grad();
        var expected = original.Forward(ids, allLogits: true);
        var actual = grown.Forward(ids, allLogits: true);
        Assert.True(expected.abs().max().item<float>() > 0.1f); // a random model's logits are not all near zero
        float difference = (actual - expected).abs().max().item<float>();
        Assert.True(difference < tolerance, $"the grown model's logits differ by {difference}");
        return ids;
    }
}
