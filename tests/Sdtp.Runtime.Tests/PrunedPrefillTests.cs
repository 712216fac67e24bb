using Sdtp.Modeling;
using Sdtp.Pruning;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

/// <summary>A seeded scorer independent of the hidden states, so tests know what it will pick.</summary>
internal sealed class FixedRandomScorer(long seed) : ITokenScorer
{
    public string Name => "fixed-random";

    public Tensor Score(StageInput input)
    {
        using var g = new Generator((ulong)(seed + input.Stage), CPU);
        return rand(input.Positions.shape, generator: g).to(input.Hidden.device);
    }
}

public class PrunedPrefillTests
{
    private static readonly long[] Prompt = Enumerable.Range(0, 40).Select(i => (long)((i * 13 + 5) % 47 + 3)).ToArray();

    [Fact]
    public void Keep_ratio_one_everywhere_equals_dense_prefill()
    {
        using var model = TinyModels.Random(TinyModels.Config(layers: 4));
        var schedule = PruningSchedule.Geometric(1, 1, 3, 1.0);
        using var ids = tensor(Prompt).unsqueeze(0);
        using var dense = model.Forward(ids);
        var pruned = PrunedPrefill.Run(model, schedule, new FixedRandomScorer(1), ids);
        Assert.True(pruned.LastLogits.allclose(dense, rtol: 1e-5, atol: 1e-5));
        Assert.Equal([40, 40, 40, 40], pruned.Report.TokensPerLayer);
        pruned.LastLogits.Dispose();
    }

    [Fact]
    public void Report_records_counts_and_kept_original_positions()
    {
        using var model = TinyModels.Random(TinyModels.Config(layers: 4));
        var schedule = PruningSchedule.Explicit([new(1, 0.5), new(3, 0.5)], new AlwaysKeepTokens(4, 0.1));
        using var ids = tensor(Prompt).unsqueeze(0);
        var result = PrunedPrefill.Run(model, schedule, new FixedRandomScorer(2), ids, options: new PrefillOptions { RecordKeptPositions = true });
        Assert.Equal([40, 20, 20, 10], result.Report.TokensPerLayer);
        var first = result.Report.Stages[0].KeptPositions[0];
        var second = result.Report.Stages[1].KeptPositions[0];
        Assert.Equal(20, first.Length);
        Assert.Equal(first.Order(), first);                             // order preserved
        Assert.Subset(first.ToHashSet(), second.ToHashSet());           // transitivity: a dropped token never returns
        Assert.Subset(second.ToHashSet(), new HashSet<long> { 0, 1, 2, 3, 36, 37, 38, 39 }); // forced in both stages
        Assert.Equal(0.75, result.Report.PrunedFraction, 10);
        result.LastLogits.Dispose();
    }

    [Theory]
    [InlineData(PositionMode.Original)]
    [InlineData(PositionMode.Renumbered)]
    public void Cached_decode_after_pruned_prefill_equals_recomputing_the_pruned_sequence(PositionMode mode)
    {
        using var model = TinyModels.Random(TinyModels.Config(layers: 5));
        var schedule = PruningSchedule.Explicit([new(1, 0.6), new(3, 0.5)], new AlwaysKeepTokens(2, 0.1));
        using var ids = tensor(Prompt).unsqueeze(0);
        using var cache = new KvCache(model.Layers.Count);
        var result = PrunedPrefill.Run(model, schedule, new FixedRandomScorer(3), ids, cache: cache,
            options: new PrefillOptions { RecordKeptPositions = true, Positions = mode });
        Assert.Equal([40L, 24, 24, 12, 12], cache.Layers.Select(l => l.Length));

        long[] decoded = [7, 19, 33];
        using var noGrad = no_grad();
        for (int step = 0; step < decoded.Length; step++)
        {
            using var cached = model.Forward(TinyModels.Ids(decoded[step]), cache: cache);
            using var reference = Recompute(model, schedule, result.Report, decoded[..(step + 1)], mode);
            Assert.True(cached.allclose(reference, rtol: 1e-4, atol: 1e-5), $"{mode}, decode step {step}");
        }
        result.LastLogits.Dispose();
    }

    /// <summary>
    /// Runs layers without a cache on exactly the tokens each layer held: the prompt tokens the report kept for
    /// that layer, then the decoded tokens. The last position's logits must equal cached decoding.
    /// </summary>
    private static Tensor Recompute(LlamaForCausalLM model, PruningSchedule schedule, PruningReport report, long[] decoded, PositionMode mode)
    {
        int n = Prompt.Length;
        var all = Prompt.Concat(decoded).ToArray();
        var hidden = model.Embed(tensor(all).unsqueeze(0));
        var rows = Enumerable.Range(0, all.Length).Select(i => (long)i).ToArray(); // original indices held now
        // Decode positions continue the original prompt length in both modes.
        long[] PositionsOf(long[] held, bool renumber) => renumber
            ? held.Select((p, i) => p < n ? (long)i : p).ToArray()
            : held;
        bool renumbered = false;
        for (int layer = 0; layer < model.Layers.Count; layer++)
        {
            int stage = schedule.StageAt(layer);
            if (stage >= 0)
            {
                var keep = report.Stages[stage].KeptPositions[0].Concat(Enumerable.Range(n, decoded.Length).Select(i => (long)i)).ToArray();
                var index = tensor(keep.Select(p => (long)Array.IndexOf(rows, p)).ToArray()).unsqueeze(0);
                hidden = TokenSelection.Gather(hidden, index);
                rows = keep;
                renumbered = mode == PositionMode.Renumbered;
            }
            var rope = model.RotaryFor(tensor(PositionsOf(rows, renumbered)).unsqueeze(0));
            hidden = model.Layers[layer].Forward(hidden, rope, null, null);
        }
        return model.LastLogits(hidden);
    }
}
