using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sdtp.Modeling;

/// <summary>Root-mean-square layer norm. The statistics are accumulated in fp32 whatever the compute dtype,
/// (fp64 stays fp64), as Hugging Face does, so bf16/fp16 models do not lose precision in the variance.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double eps;

    /// <summary>A norm over the last dimension of width <paramref name="size"/>, weight initialised to one.</summary>
    public RmsNorm(long size, double eps, Device? device = null, ScalarType? dtype = null) : base(nameof(RmsNorm))
    {
        this.eps = eps;
        weight = new Parameter(ones(size, dtype: dtype, device: device));
        RegisterComponents();
    }

    /// <summary>The learned scale.</summary>
    public Parameter Weight => weight;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.dtype == ScalarType.Float64 ? input : input.to_type(ScalarType.Float32);
        var variance = x.Squared().mean([-1], keepdim: true);
        var normalized = (x * rsqrt(variance.Plus(eps))).to_type(input.dtype);
        return (weight * normalized).MoveToOuterDisposeScope();
    }
}
