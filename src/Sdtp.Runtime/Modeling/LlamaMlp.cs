using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sdtp.Modeling;

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) * up(x)).</summary>
public sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear gate_proj;
    private readonly Linear up_proj;
    private readonly Linear down_proj;

    /// <summary>Projections shaped by <paramref name="config"/>.</summary>
    public LlamaMlp(ModelConfig config, Device? device = null, ScalarType? dtype = null, ParameterInit init = ParameterInit.Random) : base(nameof(LlamaMlp))
    {
        gate_proj = InitializedLayers.Linear(config.HiddenSize, config.IntermediateSize, config.MlpBias, device, dtype, init);
        up_proj = InitializedLayers.Linear(config.HiddenSize, config.IntermediateSize, config.MlpBias, device, dtype, init);
        down_proj = InitializedLayers.Linear(config.IntermediateSize, config.HiddenSize, config.MlpBias, device, dtype, init);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var gated = nn.functional.silu(gate_proj.forward(input)) * up_proj.forward(input);
        return down_proj.forward(gated).MoveToOuterDisposeScope();
    }
}
