using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Training;

/// <summary>The marking forward's output: logits of every position and the hidden states entering each stage's layer.</summary>
public sealed record MarkingPass(Tensor Logits, IReadOnlyList<Tensor> StageInputs);

/// <summary>
/// The primitives of the marking forward: an unpruned pass that records the input of every stage layer, with the
/// embedding output as the autograd leaf so one backward pass reaches them all. <see cref="SaliencyMarker"/> loops
/// over them; an <c>[SdtpModel]</c> class's generated marking forward calls them unrolled.
/// </summary>
public sealed class MarkingState
{
    private readonly LlamaForCausalLM model;
    private readonly Tensor? valid;
    private readonly RotaryTable rope;
    private readonly List<Tensor> stageInputs = [];
    private Tensor hidden;

    private MarkingState(LlamaForCausalLM model, Tensor inputIds, Tensor? attentionMask)
    {
        this.model = model;
        valid = attentionMask?.to_type(ScalarType.Bool);
        var positions = PositionIds.Continue(null, valid, inputIds.shape[0], inputIds.shape[1], inputIds.device);
        rope = model.RotaryFor(positions);
        hidden = model.Embed(inputIds).detach().requires_grad_(true);
    }

    /// <summary>Embeds <paramref name="inputIds"/> [B, T] as the leaf of the graph.</summary>
    public static MarkingState Begin(LlamaForCausalLM model, Tensor inputIds, Tensor? attentionMask = null) => new(model, inputIds, attentionMask);

    /// <summary>Records the current hidden states as the next stage's input.</summary>
    public void RecordStageInput() => stageInputs.Add(hidden);

    /// <summary>Runs layer <paramref name="layer"/> unpruned.</summary>
    public void RunLayer(int layer) => hidden = model.Layers[layer].Forward(hidden, rope, valid, null);

    /// <summary>Logits of every position (after the final norm) and the recorded stage inputs.</summary>
    public MarkingPass Finish() => new(model.Logits(hidden), stageInputs);
}
