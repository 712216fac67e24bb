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
        var state = SoftPruningState.Begin(model, schedule.AlwaysKeep, inputIds, tau, generator, attentionMask);
        for (int layer = 0; layer < model.Layers.Count; layer++)
        {
            int stage = schedule.StageAt(layer);
            if (stage >= 0) state.Stage(heads.ForStage(stage).forward(state.Hidden));
            state.RunLayer(layer);
        }
        return state.Finish();
    }
}
