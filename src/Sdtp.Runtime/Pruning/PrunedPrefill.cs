using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Pruning;

/// <summary>How pruned tokens' positions are numbered for the layers after a stage.</summary>
public enum PositionMode
{
    /// <summary>Survivors keep their original position ids (the default; rotary embeddings stay exact).</summary>
    Original,
    /// <summary>Survivors are renumbered 0..k-1 after each stage, as some public reproductions did.</summary>
    Renumbered,
}

/// <summary>Options of a pruned prefill.</summary>
public sealed record PrefillOptions
{
    /// <summary>Position numbering after each stage.</summary>
    public PositionMode Positions { get; init; } = PositionMode.Original;

    /// <summary>Copy the kept original positions of every stage to the CPU for the report (costs a device sync per stage).</summary>
    public bool RecordKeptPositions { get; init; }
}

/// <summary>The result of a pruned prefill.</summary>
/// <param name="LastLogits">[B, V] logits of the last position; the caller disposes them.</param>
/// <param name="Report">Tokens per layer and, if asked, the kept positions per stage.</param>
public sealed record PrefillResult(Tensor LastLogits, PruningReport Report);

/// <summary>
/// The reference pruned prefill: a loop over layers driven by a <see cref="PruningSchedule"/>. Before each stage's
/// layer the scorer ranks the tokens present, the selection keeps the forced and best ones, and hidden states,
/// position ids and validity are compacted with a gather; every later layer runs on the survivors only, so its KV
/// cache holds only them. The source generator emits an unrolled version of exactly this.
/// </summary>
public static class PrunedPrefill
{
    /// <summary>
    /// Runs the prompt <paramref name="inputIds"/> [B, T] through <paramref name="model"/> with pruning, filling
    /// <paramref name="cache"/> (if given) so decode can follow.
    /// </summary>
    /// <param name="attentionMask">[B, T], 1 for real tokens, 0 for left padding; null when none.</param>
    public static PrefillResult Run(LlamaForCausalLM model, PruningSchedule schedule, ITokenScorer scorer, Tensor inputIds,
        Tensor? attentionMask = null, KvCache? cache = null, PrefillOptions? options = null)
    {
        schedule.Validate(model.Layers.Count);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var state = PrunedPrefillState.Begin(model, schedule.AlwaysKeep, inputIds, attentionMask, cache, options);
        for (int layer = 0; layer < model.Layers.Count; layer++)
        {
            int stage = schedule.StageAt(layer);
            if (stage >= 0) state.Prune(stage, layer, schedule.Stages[stage].KeepRatio, scorer.Score);
            state.RunLayer(layer);
        }
        return state.Finish();
    }

    /// <summary>Real tokens per row: the mask's row sums, or the full length.</summary>
    internal static long[] RowLengths(Tensor? attentionMask, long batch, long length)
    {
        if (attentionMask is null) return Enumerable.Repeat(length, (int)batch).ToArray();
        using var sums = attentionMask.to_type(ScalarType.Int64).sum(1).cpu();
        return sums.data<long>().ToArray();
    }
}
