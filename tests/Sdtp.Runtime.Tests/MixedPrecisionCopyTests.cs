using Sdtp.Training;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

public class MixedPrecisionCopyTests
{
    [Fact]
    public void At_fp32_the_copy_is_the_model_itself()
    {
        using var model = TinyModels.Random(TinyModels.Config());
        using var precision = new MixedPrecisionCopy(model, ScalarType.Float32);
        Assert.False(precision.IsCopy);
        Assert.Same(model, precision.Compute);
        Assert.Equal(model.DistinctParameters().Count(), precision.Weights.Count);
    }

    [Fact]
    public void A_bf16_step_computes_on_rounded_weights_and_hands_fp32_gradients_close_to_fp32_ones_to_the_weights()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModels.Random(TinyModels.Config(tied: true));
        using var precision = new MixedPrecisionCopy(model, ScalarType.BFloat16);
        Assert.True(precision.IsCopy);
        Assert.Equal(ScalarType.BFloat16, precision.Compute.DType);
        precision.CopyWeights();
        var computeParameters = precision.Compute.DistinctParameters().ToArray();
        for (int i = 0; i < precision.Weights.Count; i++)
            Assert.True(precision.Weights[i].to_type(ScalarType.BFloat16).equal(computeParameters[i]).all().item<bool>(), $"parameter {i}");

        manual_seed(5);
        var ids = randint(3, 50, [2, 40]);
        static Tensor Loss(Sdtp.Modeling.LlamaForCausalLM m, Tensor ids) =>
            m.Forward(ids, allLogits: true).to_type(ScalarType.Float32).log_softmax(-1).narrow(1, 0, 39)
                .gather(-1, ids.narrow(1, 1, 39).unsqueeze(-1)).mean().neg();
        Loss(model, ids).backward();
        var fp32Gradients = precision.Weights.Select(p => p.grad!.clone()).ToArray();
        model.zero_grad();

        Loss(precision.Compute, ids).backward();
        precision.MoveGradients();
        for (int i = 0; i < precision.Weights.Count; i++)
        {
            var moved = precision.Weights[i].grad!;
            Assert.Equal(ScalarType.Float32, moved.dtype);
            double relative = (moved - fp32Gradients[i]).norm().item<float>() / fp32Gradients[i].norm().item<float>();
            Assert.True(relative < 0.1, $"parameter {i}: bf16 gradient is {relative:F3} of the fp32 one away");
        }
        Assert.All(computeParameters, p => Assert.True(p.grad is null || p.grad.count_nonzero().item<long>() == 0));
    }

    [Fact]
    public void The_weights_take_updates_smaller_than_bf16_can_hold()
    {
        using var model = TinyModels.Random(TinyModels.Config());
        using var precision = new MixedPrecisionCopy(model, ScalarType.BFloat16);
        var before = precision.Weights.Select(p => p.detach().clone()).ToArray();
        using var optimizer = new HeldScalarOptimizers.AdamW(precision.Weights, 1e-5, weightDecay: 0);
        precision.CopyWeights();
        precision.Compute.Forward(randint(3, 50, [1, 16]), allLogits: true).to_type(ScalarType.Float32).square().mean().backward();
        precision.MoveGradients();
        optimizer.step();
        // A step of 1e-5 is below half a bf16 unit for any weight above 0.004, so bf16 weights would mostly not move.
        var moved = precision.Weights.Zip(before, (p, b) => p.ne(b).sum().item<long>()).Sum();
        Assert.True(moved > precision.Weights.Sum(p => p.numel()) / 2, $"only {moved} weights moved");
        Assert.All(precision.Weights, p => Assert.Equal(ScalarType.Float32, p.dtype));
    }

    [Fact]
    public void Float16_compute_and_low_precision_weights_are_refused()
    {
        using var model = TinyModels.Random(TinyModels.Config());
        var error = Assert.Throws<ArgumentException>(() => new MixedPrecisionCopy(model, ScalarType.Float16));
        Assert.Contains("training computes in float32 or bfloat16, not Float16", error.Message);
        using var half = TinyModels.Random(TinyModels.Config(), dtype: ScalarType.BFloat16);
        error = Assert.Throws<ArgumentException>(() => new MixedPrecisionCopy(half, ScalarType.BFloat16));
        Assert.Contains("the trained weights must be float32 (got BFloat16)", error.Message);
    }
}
