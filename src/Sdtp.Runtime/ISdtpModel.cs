using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Training;
using static TorchSharp.torch;

namespace Sdtp;

/// <summary>
/// What the source generator adds to an <c>[SdtpModel]</c> class: its schedule, its heads and three forwards
/// specialized for that schedule (layers unrolled, head math inlined). Each equals the runtime's reference path for
/// the same schedule; the trainer, the marker and the generator accept either.
/// </summary>
public interface ISdtpModel
{
    /// <summary>The model itself (an <c>[SdtpModel]</c> class derives from <see cref="Modeling.LlamaForCausalLM"/>), for code that holds it as this interface.</summary>
    Modeling.LlamaForCausalLM Model { get; }

    /// <summary>The schedule the attributes declare.</summary>
    PruningSchedule SdtpSchedule { get; }

    /// <summary>One saliency head per stage, created on the model's device and dtype at first use and owned by the model.</summary>
    SaliencyHeads SdtpHeads { get; }

    /// <summary>Makes <paramref name="heads"/> the model's heads (checked against its schedule and width; the model disposes them).</summary>
    void UseSdtpHeads(SaliencyHeads heads);

    /// <summary>Pruned prefill of <paramref name="inputIds"/> [B, T] with the trained heads; see <see cref="PrunedPrefill.Run"/>.</summary>
    PrefillResult SdtpPrefill(Tensor inputIds, Tensor? attentionMask = null, KvCache? cache = null, PrefillOptions? options = null);

    /// <summary>The soft-pruned training forward; see <see cref="SoftPrunedForward.Run"/>.</summary>
    SoftForwardResult SdtpTrainingForward(Tensor inputIds, double tau, Generator generator, Tensor? attentionMask = null);

    /// <summary>The marking forward (hidden states entering each stage's layer); see <see cref="SaliencyMarker"/>.</summary>
    MarkingPass SdtpMarkingForward(Tensor inputIds, Tensor? attentionMask = null);
}
