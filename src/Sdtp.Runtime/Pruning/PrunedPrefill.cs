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
        options ??= new PrefillOptions();
        schedule.Validate(model.Layers.Count);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        long batch = inputIds.shape[0], length = inputIds.shape[1];
        var valid = attentionMask?.to_type(ScalarType.Bool);
        var lengths = RowLengths(attentionMask, batch, length);
        var positions = PositionIds.Continue(cache?.NextPositions, valid, batch, length, inputIds.device);
        var originalLast = positions.select(1, -1);
        var forcedCount = lengths.Max(l => schedule.AlwaysKeep.ForcedCount((int)l));
        // Forced tokens are defined on original positions counted from this prompt's start.
        var promptPositions = PositionIds.Continue(null, valid, batch, length, inputIds.device);

        var hidden = model.Embed(inputIds);
        var rope = model.RotaryFor(positions);
        var tokensPerLayer = new int[model.Layers.Count];
        var stages = new List<StageReport>();
        for (int layer = 0; layer < model.Layers.Count; layer++)
        {
            int stage = schedule.StageAt(layer);
            if (stage >= 0)
            {
                long present = hidden.shape[1];
                long k = PruningSchedule.KeepCount(schedule.Stages[stage].KeepRatio, (int)present, forcedCount);
                if (k < present)
                {
                    Tensor kept;
                    using (var stageScope = NewDisposeScope())
                    {
                        var scores = scorer.Score(new StageInput(model, stage, layer, hidden, positions, valid, rope));
                        var forced = TokenSelection.ForcedMask(promptPositions, valid, lengths, schedule.AlwaysKeep);
                        kept = TokenSelection.Select(scores, forced, valid, k).MoveToOuterDisposeScope();
                    }
                    // Replace each tensor by its compacted self and free the long one at once: a prefill holds one
                    // generation of activations, not one per layer.
                    hidden = Replace(hidden, TokenSelection.Gather(hidden, kept));
                    positions = Replace(positions, TokenSelection.Gather(positions, kept));
                    promptPositions = Replace(promptPositions, TokenSelection.Gather(promptPositions, kept));
                    if (valid is not null) valid = Replace(valid, TokenSelection.Gather(valid, kept));
                    if (options.Positions == PositionMode.Renumbered)
                        positions = Replace(positions, PositionIds.Continue(null, valid, batch, k, inputIds.device));
                    rope.Cos.Dispose();
                    rope.Sin.Dispose();
                    rope = model.RotaryFor(positions);
                    kept.Dispose();
                }
                stages.Add(new StageReport(stage, layer, (int)present, (int)hidden.shape[1],
                    options.RecordKeptPositions ? KeptPositions(promptPositions, valid) : []));
            }
            hidden = Replace(hidden, model.Layers[layer].Forward(hidden, rope, valid, cache?.Layers[layer]));
            tokensPerLayer[layer] = (int)hidden.shape[1];
        }
        cache?.AdvancePositions(originalLast);
        var logits = model.LastLogits(hidden).MoveToOuterDisposeScope();
        return new PrefillResult(logits, new PruningReport((int)length, tokensPerLayer, stages));
    }

    private static Tensor Replace(Tensor old, Tensor next)
    {
        old.Dispose();
        return next;
    }

    /// <summary>Real tokens per row: the mask's row sums, or the full length.</summary>
    internal static long[] RowLengths(Tensor? attentionMask, long batch, long length)
    {
        if (attentionMask is null) return Enumerable.Repeat(length, (int)batch).ToArray();
        using var sums = attentionMask.to_type(ScalarType.Int64).sum(1).cpu();
        return sums.data<long>().ToArray();
    }

    private static IReadOnlyList<long[]> KeptPositions(Tensor positions, Tensor? valid)
    {
        using var scope = NewDisposeScope();
        var p = positions.cpu();
        var v = valid?.cpu();
        var rows = new List<long[]>();
        for (long b = 0; b < p.shape[0]; b++)
        {
            var row = p[b].data<long>().ToArray();
            var keep = v is null ? row : row.Where((_, i) => v[b, i].item<bool>()).ToArray();
            rows.Add(keep);
        }
        return rows;
    }
}
