using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Pruning;

/// <summary>
/// The primitives of a pruned prefill: run a layer, prune before a layer, finish. The reference loop
/// (<see cref="PrunedPrefill"/>) and the source-generated forward of an <c>[SdtpModel]</c> class both drive this
/// type, so the two differ only in what is unrolled and inlined. Create it inside the caller's dispose scope; it
/// frees each long tensor as soon as its replacement exists, so a prefill holds one generation of activations.
/// </summary>
public sealed class PrunedPrefillState
{
    private readonly LlamaForCausalLM model;
    private readonly AlwaysKeepTokens alwaysKeep;
    private readonly PrefillOptions options;
    private readonly KvCache? cache;
    private readonly long[] lengths;
    private readonly int[] forcedPerRow;
    private long[] presentPerRow; // real tokens of each row still present
    private readonly Tensor originalLast;
    private readonly int[] tokensPerLayer;
    private readonly List<StageReport> stages = [];
    private readonly int originalLength;
    private Tensor hidden, positions, promptPositions, forced;
    private Tensor? valid;
    private RotaryTable rope;

    private PrunedPrefillState(LlamaForCausalLM model, AlwaysKeepTokens alwaysKeep, Tensor inputIds, Tensor? attentionMask,
        KvCache? cache, PrefillOptions options)
    {
        this.model = model;
        this.alwaysKeep = alwaysKeep;
        this.cache = cache;
        this.options = options;
        long batch = inputIds.shape[0], length = inputIds.shape[1];
        originalLength = (int)length;
        valid = attentionMask?.to_type(ScalarType.Bool);
        lengths = PrunedPrefill.RowLengths(attentionMask, batch, length);
        forcedPerRow = lengths.Select(l => alwaysKeep.ForcedCount((int)l)).ToArray();
        presentPerRow = (long[])lengths.Clone();
        positions = PositionIds.Continue(cache?.NextPositions, valid, batch, length, inputIds.device);
        originalLast = positions.select(1, -1);
        // Forced tokens are defined on positions counted from this prompt's start; marked once, then compacted with the rest.
        promptPositions = PositionIds.Continue(null, valid, batch, length, inputIds.device);
        forced = TokenSelection.ForcedMask(promptPositions, valid, lengths, alwaysKeep);
        hidden = model.Embed(inputIds);
        rope = model.RotaryFor(positions);
        tokensPerLayer = new int[model.Layers.Count];
    }

    /// <summary>Embeds the prompt [B, T] (<paramref name="attentionMask"/>: 1 real, 0 left padding) and starts a prefill.</summary>
    public static PrunedPrefillState Begin(LlamaForCausalLM model, AlwaysKeepTokens alwaysKeep, Tensor inputIds,
        Tensor? attentionMask = null, KvCache? cache = null, PrefillOptions? options = null) =>
        new(model, alwaysKeep, inputIds, attentionMask, cache, options ?? new PrefillOptions());

    /// <summary>Hidden states [B, n, d] of the tokens still present.</summary>
    public Tensor Hidden => hidden;

    /// <summary>Runs decoder layer <paramref name="layer"/> on the tokens present, appending them to its cache.</summary>
    public void RunLayer(int layer)
    {
        hidden = Replace(hidden, model.Layers[layer].Forward(hidden, rope, valid, cache?.Layers[layer]));
        tokensPerLayer[layer] = (int)hidden.shape[1];
    }

    /// <summary>
    /// The keep counts of every stage for every row, [stage][row], from each row's real length through
    /// <paramref name="keepCounts"/> (a schedule's counts for one prompt length, such as a generated
    /// <c>SdtpPlan.KeepCounts</c>): computed once, before the first layer.
    /// </summary>
    public long[][] KeepPlan(Func<int, int[]> keepCounts)
    {
        var perRow = lengths.Select(l => keepCounts((int)l)).ToArray();
        int stageCount = perRow.Length == 0 ? 0 : perRow[0].Length;
        return Enumerable.Range(0, stageCount).Select(s => perRow.Select(row => (long)row[s]).ToArray()).ToArray();
    }

    /// <summary>Whether keeping <paramref name="keep"/> tokens per row drops any: only then does a stage need scores.</summary>
    public bool Drops(long[] keep)
    {
        for (int row = 0; row < keep.Length; row++)
            if (keep[row] < presentPerRow[row]) return true;
        return false;
    }

    /// <summary>
    /// Stage <paramref name="stage"/> before layer <paramref name="layer"/>: every row keeps <paramref name="keepRatio"/>
    /// of its own real tokens present (see <see cref="PruningSchedule.KeepCount"/>, with the row's own forced tokens),
    /// the forced ones and the best by <paramref name="score"/>, which is only called when something is to be dropped.
    /// </summary>
    public void Prune(int stage, int layer, double keepRatio, Func<StageInput, Tensor> score)
    {
        var keep = presentPerRow.Select((p, row) => (long)PruningSchedule.KeepCount(keepRatio, (int)p, forcedPerRow[row])).ToArray();
        // The scores stay in the caller's scope: a scope here would also free the compacted tensors Prune makes.
        Prune(stage, layer, keep, Drops(keep) ? score(new StageInput(model, stage, layer, hidden, positions, valid, rope)) : null);
    }

    /// <summary>
    /// Stage <paramref name="stage"/> before layer <paramref name="layer"/>: row b keeps <paramref name="keep"/>[b] of its
    /// real tokens, its forced ones and the best by <paramref name="scores"/> [B, n] (required when <see cref="Drops"/>;
    /// disposed here once used), exactly what the row alone would keep; shorter rows are padded on the left to the longest.
    /// </summary>
    public void Prune(int stage, int layer, long[] keep, Tensor? scores)
    {
        long present = hidden.shape[1];
        if (Drops(keep))
        {
            if (scores is null) throw new ArgumentNullException(nameof(scores), $"stage {stage} drops tokens and needs their scores");
            RowSelection kept;
            using (var stageScope = NewDisposeScope())
            {
                var selection = TokenSelection.SelectPerRow(scores, forced, valid, keep);
                kept = new RowSelection(selection.Indices.MoveToOuterDisposeScope(), selection.Valid?.MoveToOuterDisposeScope());
            }
            scores.Dispose();
            hidden = Replace(hidden, TokenSelection.Gather(hidden, kept.Indices));
            positions = Replace(positions, TokenSelection.Gather(positions, kept.Indices));
            if (options.RecordKeptPositions) promptPositions = Replace(promptPositions, TokenSelection.Gather(promptPositions, kept.Indices));
            forced = Replace(forced, TokenSelection.Gather(forced, kept.Indices));
            valid?.Dispose();
            valid = kept.Valid;
            if (valid is not null) forced = Replace(forced, forced.logical_and(valid)); // a padding slot is never forced
            if (options.Positions == PositionMode.Renumbered)
                positions = Replace(positions, PositionIds.Continue(null, valid, hidden.shape[0], hidden.shape[1], hidden.device));
            rope.Cos.Dispose();
            rope.Sin.Dispose();
            rope = model.RotaryFor(positions);
            kept.Indices.Dispose();
            presentPerRow = keep;
        }
        stages.Add(new StageReport(stage, layer, (int)present, (int)hidden.shape[1],
            options.RecordKeptPositions ? KeptPositions() : []));
    }

    /// <summary>Ends the prefill: records the next original position in the cache and returns the last logits [B, V] (moved out of the caller's scope) and the report.</summary>
    public PrefillResult Finish()
    {
        cache?.AdvancePositions(originalLast);
        var logits = model.LastLogits(hidden).MoveToOuterDisposeScope();
        return new PrefillResult(logits, new PruningReport(originalLength, tokensPerLayer, stages));
    }

    private static Tensor Replace(Tensor old, Tensor next)
    {
        old.Dispose();
        return next;
    }

    private IReadOnlyList<long[]> KeptPositions()
    {
        using var scope = NewDisposeScope();
        var p = promptPositions.cpu();
        var v = valid?.cpu();
        var rows = new List<long[]>();
        for (long b = 0; b < p.shape[0]; b++)
        {
            var row = p[b].data<long>().ToArray();
            rows.Add(v is null ? row : row.Where((_, i) => v[b, i].item<bool>()).ToArray());
        }
        return rows;
    }
}
