using Sdtp.Modeling;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sdtp.Training;

/// <summary>
/// Mixed-precision training of a model whose weights stay in fp32: each step runs forward and backward on a bf16 copy
/// (faster where the hardware multiplies bf16 natively: 1.2-1.4x the steps per minute for the default model on this
/// project's CPU, which has AMX; docs/runtime.md), and the optimizer updates the fp32 weights with the copy's
/// gradients. AdamW's small updates would vanish in bf16 weights, so only the compute is lowered. At the weights' own
/// dtype the copy is the model itself and nothing is copied.
/// </summary>
public sealed class MixedPrecisionCopy : IDisposable
{
    private readonly LlamaForCausalLM master;
    private readonly Parameter[] masterParameters;
    private readonly Parameter[] computeParameters;

    /// <summary>Steps of <paramref name="master"/> computed at <paramref name="computeDType"/> (fp32 or bf16).</summary>
    public MixedPrecisionCopy(LlamaForCausalLM master, ScalarType computeDType)
    {
        if (computeDType is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"training computes in float32 or bfloat16, not {computeDType} (float16 would need loss scaling)", nameof(computeDType));
        if (master.DType != ScalarType.Float32)
            throw new ArgumentException($"the trained weights must be float32 (got {master.DType}): AdamW's updates vanish at lower precision", nameof(master));
        this.master = master;
        Compute = computeDType == master.DType ? master : new LlamaForCausalLM(master.Config, master.Device, computeDType, ParameterInit.Uninitialized);
        masterParameters = master.DistinctParameters().ToArray();
        computeParameters = Compute.DistinctParameters().ToArray();
    }

    /// <summary>The model a step runs forward and backward on: the bf16 copy, or the fp32 model itself.</summary>
    public LlamaForCausalLM Compute { get; }

    /// <summary>The fp32 weights the optimizer updates, in <see cref="LlamaForCausalLM.DistinctParameters"/>' order.</summary>
    public IReadOnlyList<Parameter> Weights => masterParameters;

    /// <summary>Whether steps run on a lower-precision copy.</summary>
    public bool IsCopy => !ReferenceEquals(Compute, master);

    /// <summary>Rounds the fp32 weights into the copy; call before each step's forward.</summary>
    public void CopyWeights()
    {
        if (!IsCopy) return;
        using var noGrad = no_grad();
        for (int i = 0; i < masterParameters.Length; i++)
            computeParameters[i].copy_(masterParameters[i]);
    }

    /// <summary>
    /// Hands the copy's gradients to the fp32 weights (widened to fp32, replacing what they held) and clears the copy's;
    /// call after backward, before clipping and the optimizer's step.
    /// </summary>
    public void MoveGradients()
    {
        if (!IsCopy) return;
        for (int i = 0; i < masterParameters.Length; i++)
        {
            using var computed = computeParameters[i].grad;
            masterParameters[i].grad = computed?.to_type(ScalarType.Float32);
        }
        Compute.zero_grad();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (IsCopy) Compute.Dispose();
    }
}
