using Sdtp.Generation;
using Sdtp.Modeling;
using Sdtp.Pruning;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

public class EvictionAndGenerationTests
{
    private static readonly int[] Prompt = Enumerable.Range(0, 60).Select(i => (i * 17 + 3) % 47 + 3).ToArray();

    [Fact]
    public void Sink_window_eviction_keeps_the_sinks_and_the_newest_rows_within_budget()
    {
        using var model = TinyModels.Random(TinyModels.Config(layers: 3));
        using var cache = new KvCache(model.Layers.Count);
        using var noGrad = no_grad();
        model.Forward(tensor(Prompt.Select(t => (long)t).ToArray()).unsqueeze(0), cache: cache).Dispose();
        var before = cache.Layers[1].Keys.clone();
        new SinkWindowEviction(budget: 20, sinks: 4).Apply(cache);

        Assert.All(cache.Layers, l => Assert.Equal(20, l.Length));
        var after = cache.Layers[1].Keys;
        Assert.True(after.narrow(2, 0, 4).equal(before.narrow(2, 0, 4)).all().item<bool>());
        Assert.True(after.narrow(2, 4, 16).equal(before.narrow(2, 44, 16)).all().item<bool>());
        Assert.Equal(60L, cache.NextPositions!.item<long>()); // positions continue the full prompt
    }

    [Fact]
    public void Eviction_with_room_to_spare_changes_nothing()
    {
        using var model = TinyModels.Random(TinyModels.Config());
        var options = new GenerationOptions { MaxNewTokens = 6, StopTokenIds = [-1] };
        var plain = new TextGenerator(model).Generate(Prompt, options).ToList();
        var evicting = new TextGenerator(model, eviction: new SinkWindowEviction(budget: 100)).Generate(Prompt, options).ToList();
        Assert.Equal(plain, evicting);
    }

    [Fact]
    public void Sdtp_prefill_combined_with_eviction_generates_and_caps_every_layer()
    {
        using var model = TinyModels.Random(TinyModels.Config(layers: 4));
        var schedule = PruningSchedule.Geometric(1, 1, 3, 0.7);
        var reports = new List<PruningReport>();
        var budgets = new List<long>();
        var eviction = new SinkWindowEviction(budget: 16);
        var generator = new TextGenerator(model, SdtpPrefill.For(schedule, new FixedRandomScorer(1), onReport: reports.Add), new CapturingEviction(eviction, budgets));
        var tokens = generator.Generate(Prompt, new GenerationOptions { MaxNewTokens = 5, StopTokenIds = [-1] }).ToList();

        Assert.Equal(5, tokens.Count);
        var report = Assert.Single(reports);
        Assert.Equal([60, 42, 29, 20], report.TokensPerLayer); // 0.7 per stage, rounded half up
        Assert.All(budgets, max => Assert.True(max <= eviction.MaxRows));
    }

    [Fact]
    public void Eviction_trims_once_a_layer_exceeds_budget_plus_block_and_keeps_the_same_rows_as_trimming_every_token()
    {
        using var model = TinyModels.Random(TinyModels.Config(layers: 2));
        using var cache = new KvCache(model.Layers.Count);
        using var noGrad = no_grad();
        model.Forward(tensor(Prompt.Take(24).Select(t => (long)t).ToArray()).unsqueeze(0), cache: cache).Dispose();
        var eviction = new SinkWindowEviction(budget: 20, sinks: 4, block: 4);
        eviction.Apply(cache);
        Assert.Equal(24, cache.Layers[0].Length); // 20 + 4 still fits
        model.Forward(tensor(new long[] { 7 }).unsqueeze(0), cache: cache).Dispose();
        var before = cache.Layers[0].Keys.clone();
        eviction.Apply(cache);
        Assert.Equal(20, cache.Layers[0].Length); // 25 > 24: back to the budget, sinks and the newest 16
        Assert.True(cache.Layers[0].Keys.narrow(2, 4, 16).equal(before.narrow(2, 9, 16)).all().item<bool>());
        Assert.Equal(2, new SinkWindowEviction(budget: 16).Block);
    }

    [Fact]
    public void Invalid_budget_is_rejected_with_its_value()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SinkWindowEviction(budget: 4, sinks: 4));
        Assert.Contains("must exceed the 4 sink rows", e.Message);
    }

    private sealed class CapturingEviction(IKvCacheEviction inner, List<long> maxLengths) : IKvCacheEviction
    {
        public void Apply(KvCache cache)
        {
            inner.Apply(cache);
            maxLengths.Add(cache.Layers.Max(l => l.Length));
        }
    }
}
