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
    private Tensor hidden, positions, promptPositions;
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
        // Forced tokens are defined on positions counted from this prompt's start.
        promptPositions = PositionIds.Continue(null, valid, batch, length, inputIds.device);
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
    /// Stage <paramref name="stage"/> before layer <paramref name="layer"/>: every row keeps <paramref name="keepRatio"/>
    /// of its own real tokens present (see <see cref="PruningSchedule.KeepCount"/>, with the row's own forced tokens),
    /// the forced ones and the best by <paramref name="score"/>, which is only called when something is to be dropped.
    /// A row of a left-padded batch is pruned as it would be alone; shorter rows are padded on the left to the longest.
    /// </summary>
    public void Prune(int stage, int layer, double keepRatio, Func<StageInput, Tensor> score)
    {
        long present = hidden.shape[1];
        var keep = presentPerRow.Select((p, row) => (long)PruningSchedule.KeepCount(keepRatio, (int)p, forcedPerRow[row])).ToArray();
        if (keep.Where((k, row) => k < presentPerRow[row]).Any())
        {
            RowSelection kept;
            using (var stageScope = NewDisposeScope())
            {
                var scores = score(new StageInput(model, stage, layer, hidden, positions, valid, rope));
                var forced = TokenSelection.ForcedMask(promptPositions, valid, lengths, alwaysKeep);
                var selection = TokenSelection.SelectPerRow(scores, forced, valid, keep);
                kept = new RowSelection(selection.Indices.MoveToOuterDisposeScope(), selection.Valid?.MoveToOuterDisposeScope());
            }
            hidden = Replace(hidden, TokenSelection.Gather(hidden, kept.Indices));
            positions = Replace(positions, TokenSelection.Gather(positions, kept.Indices));
            promptPositions = Replace(promptPositions, TokenSelection.Gather(promptPositions, kept.Indices));
            valid?.Dispose();
            valid = kept.Valid;
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
