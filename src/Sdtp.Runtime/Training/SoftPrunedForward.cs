using Sdtp.Modeling;
using Sdtp.Pruning;
using static TorchSharp.torch;

namespace Sdtp.Training;

/// <summary>What the training forward produced.</summary>
/// <param name="Logits">[B, T, V] logits of every position (after the final norm).</param>
/// <param name="StageLogits">Per stage, the head's [B, T, 2] keep/drop logits.</param>
/// <param name="CumulativeKeep">Per stage, the [B, T] product of this and all earlier stages' hard keep decisions.</param>
public sealed record SoftForwardResult(Tensor Logits, IReadOnlyList<Tensor> StageLogits, IReadOnlyList<Tensor> CumulativeKeep);

/// <summary>
/// The training forward: pruning simulated by attention masking, as DynamicViT does. At each stage the head's
/// logits give a straight-through Gumbel keep decision per token, forced tokens are fixed to 1, and the decisions of
/// successive stages multiply. Every later layer then runs with that cumulative mask on its keys, so no later token
/// attends to a dropped one, while the tensor keeps its full length (hard removal happens only at inference).
/// </summary>
public static class SoftPrunedForward
{
    /// <summary>Runs <paramref name="inputIds"/> [B, T] with soft pruning.</summary>
    /// <param name="tau">Gumbel-Softmax temperature.</param>
    /// <param name="generator">Gumbel noise source (seeded per step for reproducible training).</param>
    /// <param name="attentionMask">[B, T], 1 for real tokens; null when none.</param>
    public static SoftForwardResult Run(LlamaForCausalLM model, PruningSchedule schedule, SaliencyHeads heads, Tensor inputIds,
        double tau, Generator generator, Tensor? attentionMask = null)
    {
        using var scope = NewDisposeScope();
        long batch = inputIds.shape[0], length = inputIds.shape[1];
        var valid = attentionMask?.to_type(ScalarType.Bool);
        var positions = PositionIds.Continue(null, valid, batch, length, inputIds.device);
        var rope = model.RotaryFor(positions);
        var lengths = PrunedPrefill.RowLengths(attentionMask, batch, length);
        var forced = TokenSelection.ForcedMask(positions, valid, lengths, schedule.AlwaysKeep);
        var realTokens = valid?.to_type(ScalarType.Float32) ?? ones(batch, length, device: inputIds.device);

        var hidden = model.Embed(inputIds);
        Tensor? cumulative = null;
        var stageLogits = new List<Tensor>();
        var stageKeep = new List<Tensor>();
        for (int layer = 0; layer < model.Layers.Count; layer++)
        {
            int stage = schedule.StageAt(layer);
            if (stage >= 0)
            {
                var logits = heads.ForStage(stage).forward(hidden);
                var keep = GumbelKeep.Sample(logits, tau, generator);
                keep = where(forced, ones_like(keep), keep) * realTokens;
                cumulative = cumulative is null ? keep : cumulative * keep;
                stageLogits.Add(logits.MoveToOuterDisposeScope());
                stageKeep.Add(cumulative.MoveToOuterDisposeScope());
            }
            hidden = model.Layers[layer].Forward(hidden, rope, valid, null, cumulative?.to_type(hidden.dtype));
        }
        // The final norm is part of Logits: skipping it before the LM head was a bug of public reproductions.
        var allLogits = model.Logits(hidden).MoveToOuterDisposeScope();
        return new SoftForwardResult(allLogits, stageLogits, stageKeep);
    }
}
