using Sdtp;
using Sdtp.Modeling;

namespace Sdtp.Samples.TinyLlama;

/// <summary>
/// The embedded default model, annotated for SDTP. Seven stages before layers 1..7, each keeping 86% of the tokens
/// that reach it: 0.86^7 = 0.35 of the prompt is left for the last layer, about 65% pruned, as in the paper.
/// The source generator turns these attributes into <see cref="SdtpPlan"/> and the unrolled <c>SdtpPrefill</c>.
/// </summary>
[SdtpModel(NumLayers = 8)]
[GeometricSchedule(FirstLayer = 1, Every = 1, Stages = 7, Ratio = 0.86)]
[AlwaysKeep(Initial = 4, RecentFraction = 0.1)]
public sealed partial class TinyLlama : LlamaForCausalLM
{
    /// <summary>
    /// A model shaped by <paramref name="config"/> on the default device, at <paramref name="dtype"/>;
    /// <see cref="ParameterInit.Uninitialized"/> when a checkpoint's weights are loaded into it next.
    /// </summary>
    public TinyLlama(ModelConfig config, TorchSharp.torch.ScalarType dtype = TorchSharp.torch.ScalarType.Float32, ParameterInit init = ParameterInit.Random)
        : base(config, dtype: dtype, init: init) { }
}
