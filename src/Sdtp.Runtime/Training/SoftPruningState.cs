using Sdtp.Modeling;
using Sdtp.Pruning;
using static TorchSharp.torch;

namespace Sdtp.Training;

/// <summary>
/// The primitives of the training forward (soft pruning by keep-masked attention): run a layer, apply a stage's
/// head logits, finish. <see cref="SoftPrunedForward"/> loops over them; an <c>[SdtpModel]</c> class's generated
/// training forward calls them unrolled. Create it inside the caller's dispose scope.
/// </summary>
public sealed class SoftPruningState
{
    private readonly LlamaForCausalLM model;
    private readonly Generator generator;
    private readonly double tau;
    private readonly Tensor? valid;
    private readonly Tensor forced;
    private readonly Tensor realTokens;
    private readonly RotaryTable rope;
    private readonly List<Tensor> stageLogits = [];
    private readonly List<Tensor> stageKeep = [];
    private Tensor hidden;
    private Tensor? cumulative;

    private SoftPruningState(LlamaForCausalLM model, AlwaysKeepTokens alwaysKeep, Tensor inputIds, double tau, Generator generator, Tensor? attentionMask)
    {
        this.model = model;
        this.tau = tau;
        this.generator = generator;
        long batch = inputIds.shape[0], length = inputIds.shape[1];
        valid = attentionMask?.to_type(ScalarType.Bool);
        var positions = PositionIds.Continue(null, valid, batch, length, inputIds.device);
        rope = model.RotaryFor(positions);
        forced = TokenSelection.ForcedMask(positions, valid, PrunedPrefill.RowLengths(attentionMask, batch, length), alwaysKeep);
        realTokens = valid?.to_type(ScalarType.Float32) ?? ones(batch, length, device: inputIds.device);
        hidden = model.Embed(inputIds);
    }

    /// <summary>Embeds <paramref name="inputIds"/> [B, T] and starts a soft-pruned forward at Gumbel temperature <paramref name="tau"/>.</summary>
    public static SoftPruningState Begin(LlamaForCausalLM model, AlwaysKeepTokens alwaysKeep, Tensor inputIds, double tau,
        Generator generator, Tensor? attentionMask = null) => new(model, alwaysKeep, inputIds, tau, generator, attentionMask);

    /// <summary>Hidden states [B, T, d] entering the next layer.</summary>
    public Tensor Hidden => hidden;

    /// <summary>
    /// Applies a stage: <paramref name="headLogits"/> [B, T, 2] (keep, drop) give a straight-through Gumbel keep
    /// decision per token; forced tokens are fixed to 1 and the decision multiplies into the cumulative mask.
    /// </summary>
    public void Stage(Tensor headLogits)
    {
        var keep = GumbelKeep.Sample(headLogits, tau, generator);
        keep = where(forced, ones_like(keep), keep) * realTokens;
        cumulative = cumulative is null ? keep : cumulative * keep;
        stageLogits.Add(headLogits);
        stageKeep.Add(cumulative);
    }

    /// <summary>Runs layer <paramref name="layer"/> with the cumulative keep mask on its keys.</summary>
    public void RunLayer(int layer) =>
        hidden = model.Layers[layer].Forward(hidden, rope, valid, null, cumulative?.to_type(hidden.dtype));

    /// <summary>
    /// Logits of every position, after the final norm (skipping it before the LM head was a bug of public
    /// reproductions), with the stage tensors; all moved out of the caller's scope.
    /// </summary>
    public SoftForwardResult Finish() => new(
        model.Logits(hidden).MoveToOuterDisposeScope(),
        stageLogits.Select(t => t.MoveToOuterDisposeScope()).ToList(),
        stageKeep.Select(t => t.MoveToOuterDisposeScope()).ToList());
}
