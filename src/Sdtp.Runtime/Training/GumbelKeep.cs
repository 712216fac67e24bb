using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Training;

/// <summary>
/// Differentiable keep/drop decisions: a Gumbel-Softmax sample of the head's (keep, drop) logits, hard in the forward
/// pass (exactly 0 or 1) with the soft sample's gradient in the backward pass (straight-through).
/// </summary>
public static class GumbelKeep
{
    /// <summary>[B, n] keep decisions from logits [B, n, 2] at temperature <paramref name="tau"/>, noise from <paramref name="generator"/>.</summary>
    public static Tensor Sample(Tensor logits, double tau, Generator generator)
    {
        using var scope = NewDisposeScope();
        var uniform = rand(logits.shape, generator: generator, dtype: ScalarType.Float32).to(logits.device).Between(1e-10, 1 - 1e-7);
        var gumbel = -(-uniform.log()).log();
        var soft = logits.to_type(ScalarType.Float32).Plus(gumbel).DividedBy(tau).softmax(-1).select(-1, 0);
        var hard = soft.IsAtLeast(0.5).to_type(ScalarType.Float32);
        return hard.Minus(soft.detach()).Plus(soft).MoveToOuterDisposeScope();
    }
}
