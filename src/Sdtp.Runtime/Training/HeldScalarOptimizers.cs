using Sdtp.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sdtp.Training;

/// <summary>
/// Optimizers whose steps keep every number they pass to libtorch alive until the call returns. TorchSharp's own steps
/// turn each coefficient (<c>mul_(beta1)</c>, <c>add_(grad, alpha)</c>, <c>addcdiv_(..., value)</c>) into a temporary
/// Scalar that a garbage collection during the native call may free: the race <see cref="TensorMath"/>
/// closes for the forward. libtorch then fails with "Expected false to be true" or "Unknown scalar type", as two base
/// training runs did at random steps. <c>benchmarks/Sdtp.ScalarRace</c> measures both steps.
/// </summary>
public static class HeldScalarOptimizers
{
    /// <summary>
    /// TorchSharp's AdamW: the same update and state, and <c>torch.optim.AdamW</c>'s defaults (betas 0.9 and 0.999,
    /// eps 1e-8, no amsgrad). Named AdamW because TorchSharp's saved state records the optimizer's type name: so either
    /// one resumes from what the other saved.
    /// </summary>
    public sealed class AdamW : TorchSharp.Modules.AdamW
    {
        private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;

        /// <summary>An optimizer of <paramref name="parameters"/> at <paramref name="learningRate"/> with decoupled <paramref name="weightDecay"/>.</summary>
        public AdamW(IEnumerable<Parameter> parameters, double learningRate, double weightDecay)
            : base(parameters, learningRate, Beta1, Beta2, Epsilon, weightDecay)
        {
        }

        /// <inheritdoc/>
        public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
        {
            var options = group.Options;
            if (options.amsgrad == true || options.maximize == true)
                throw new NotSupportedException("HeldScalarOptimizers.AdamW implements AdamW without amsgrad and maximize");
            double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, weightDecay = options.weight_decay!.Value;
            double learningRate = options.LearningRate!.Value;
            using var decay = (1 - learningRate * weightDecay).ToScalar();
            using var keep1 = beta1.ToScalar();
            using var take1 = (1 - beta1).ToScalar();
            using var keep2 = beta2.ToScalar();
            using var take2 = (1 - beta2).ToScalar();
            using var epsilon = options.eps!.Value.ToScalar();
            foreach (var parameter in group.Parameters)
            {
                var grad = parameter.grad;
                if (grad is null) continue;
                var state = (State)_state[parameter.Handle];
                state.step += 1;
                double correction1 = 1 - Math.Pow(beta1, state.step);
                double correction2 = 1 - Math.Pow(beta2, state.step);
                using var rootCorrection2 = Math.Sqrt(correction2).ToScalar();
                using var stepSize = (-learningRate / correction1).ToScalar();

                parameter.mul_(decay);
                state.exp_avg.mul_(keep1).add_(grad, take1);
                state.exp_avg_sq.mul_(keep2).addcmul_(grad, grad, take2);
                var denominator = state.exp_avg_sq.sqrt().div_(rootCorrection2).add_(epsilon, TensorMath.One);
                parameter.addcdiv_(state.exp_avg, denominator, stepSize);
            }
        }, closure);
    }
}
