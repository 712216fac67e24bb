using Sdtp.Evaluation.Reporting;
using Sdtp.Modeling;
using Sdtp.Pruning;

namespace Sdtp.Evaluation.Tests;

public class FlopsAndReportTests
{
    private static readonly ModelConfig Config = new()
    {
        ModelType = "llama", HiddenSize = 8, IntermediateSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 2,
        NumKeyValueHeads = 1, HeadDim = 4, VocabSize = 10,
    };

    [Fact]
    public void Layer_flops_match_a_hand_computed_case()
    {
        // n = 3, d = 8, q = 2*4 = 8, kv = 1*4 = 4, m = 16:
        // projections 2*3*(8*8 + 2*8*4 + 8*8) = 6*192 = 1152; attention 2*2*3*((3+1)/2)*8 = 192; MLP 2*3*3*8*16 = 2304.
        Assert.Equal(1152 + 192 + 2304, PrefillFlops.Layer(Config, 3));
        // Head on 3 tokens: 2*3*(8*2 + 2*2) = 120.
        Assert.Equal(120, PrefillFlops.Head(Config, 3));
        // An average of two heads (4 hidden units): 2*3*(8*4 + 4*2) = 240.
        Assert.Equal(240, PrefillFlops.Head(Config, 3, headInnerSize: 4));
    }

    [Fact]
    public void Estimate_runs_each_layer_on_its_tokens_and_adds_the_heads()
    {
        var schedule = PruningSchedule.Explicit([new(1, 0.5)], new AlwaysKeepTokens(0, 0));
        var estimate = PrefillFlops.Estimate(Config, schedule, 10);
        double lmHead = 2 * 8 * 10;
        Assert.Equal(2 * PrefillFlops.Layer(Config, 10) + lmHead, estimate.Dense);
        Assert.Equal(PrefillFlops.Layer(Config, 10) + PrefillFlops.Head(Config, 10) + PrefillFlops.Layer(Config, 5) + lmHead, estimate.Pruned);
        Assert.Equal(estimate.Pruned + PrefillFlops.Head(Config, 10), PrefillFlops.Estimate(Config, schedule, 10, headInnerSize: 4).Pruned);
        var paper = PrefillFlops.EstimatePaperConvention(Config, schedule, 10);
        Assert.Equal(2 * (8 * 10 * 64 + 6 * 10 * 8 * 16 + 3 * 100 * 8) + 4 * 10 * 10 * 8, paper.Dense);
        Assert.Equal((8 * 10 * 64 + 6 * 10 * 8 * 16 + 3 * 100 * 8) + (8 * 5 * 64 + 6 * 5 * 8 * 16 + 3 * 25 * 8) + 4 * 5 * 10 * 8, paper.Pruned);
    }

    [Fact]
    public void Report_json_round_trips_with_snake_case_names()
    {
        var report = SampleReport();
        var json = report.ToJson();
        Assert.Contains("\"pruned_fraction\": 0.65", json);
        Assert.Contains("\"kv_cache_bytes\"", json);
        Assert.Contains("\"peak_heap_growth_bytes\"", json);
        Assert.Contains("\"speedup_sdtp\": 1.8", json);
        Assert.Contains("\"pairwise_accuracy\": 0.7", json);
        Assert.Contains("\"interval\": [", json);
        Assert.Contains("\"correct\": 39", json);
        Assert.Contains("\"in_distribution\"", json);
        var again = EvaluationReport.FromJson(json);
        Assert.Equal(json, again.ToJson());
    }

    [Fact]
    public void Markdown_and_plots_are_written()
    {
        var report = SampleReport();
        var md = MarkdownWriter.Write(report);
        Assert.Contains("| passkey | 1.000 (1.00) | 0.950 (0.95) |", md);
        Assert.Contains("| vt | 0.975 [0.87, 1.00] (1.00) | 0.950 [0.83, 0.99] (0.97) |", md);
        Assert.Contains("## Accuracy on the phrasings training used (in distribution)", md);
        Assert.Contains("| vt@train | 1.000 [0.84, 1.00] (1.00) |", md);
        Assert.Contains("| 4096 | 100.0 | 55.6 | 1.80x |", md);
        Assert.Contains("dense 256 MiB, sdtp 128 MiB", md);
        Assert.Contains("(its own working memory, sampled every 1 ms): dense 3.0 MiB, sdtp 1.0 MiB", md);
        var dir = Path.Combine(Path.GetTempPath(), "sdtp-plots-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            PlotWriter.Latency(report, Path.Combine(dir, "latency.png"));
            PlotWriter.Sweep(report, Path.Combine(dir, "sweep.png"));
            PlotWriter.Heatmap([[0.1f, 1f, 0.2f, 0.5f], [0.3f, 1f, 0.1f, 0.9f]], [[0, 1, 3], [1, 3]], [1, 2], "one sample", Path.Combine(dir, "heatmap.png"));
            foreach (var file in new[] { "latency.png", "sweep.png", "heatmap.png" })
            {
                var bytes = File.ReadAllBytes(Path.Combine(dir, file));
                Assert.True(bytes.Length > 1000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G', $"{file} is not a PNG");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static EvaluationReport SampleReport() => new()
    {
        Date = "2026-11-29T00:00:00Z",
        Machine = "test",
        Model = "tiny",
        Schedule = "[1:0.5]",
        Tasks = new()
        {
            ["passkey"] = new()
            {
                ["dense"] = new PolicyScore { Accuracy = 1, Retention = 1, Samples = 10, ByLength = new() { ["512"] = 1 }, ByDepth = new() { ["0.5"] = 1 } },
                ["sdtp"] = new PolicyScore { Accuracy = 0.95, Retention = 0.95, Samples = 10, ByLength = new() { ["512"] = 0.95 }, ByDepth = new() { ["0.5"] = 0.95 } },
            },
            ["vt"] = new()
            {
                ["dense"] = new PolicyScore { Accuracy = 0.975, Correct = 39, Interval = [0.8712, 0.9956], Retention = 1, Samples = 40, ByLength = new() { ["1024"] = 0.975 } },
                ["sdtp"] = new PolicyScore { Accuracy = 0.95, Correct = 38, Interval = [0.8349, 0.9862], Retention = 0.974, Samples = 40, ByLength = new() { ["1024"] = 0.95 } },
            },
            ["lm"] = new()
            {
                ["dense"] = new PolicyScore { Loss = 1, Perplexity = Math.E, Retention = 1, Samples = 2, ByLength = new() { ["512"] = 1 } },
                ["sdtp"] = new PolicyScore { Loss = 1.1, Perplexity = Math.Exp(1.1), Retention = Math.Exp(-0.1), Samples = 2, ByLength = new() { ["512"] = 1.1 } },
            },
        },
        InDistribution = new()
        {
            ["vt@train"] = new()
            {
                ["dense"] = new PolicyScore { Accuracy = 1, Correct = 20, Interval = [0.8389, 1], Retention = 1, Samples = 20, ByLength = new() { ["1024"] = 1 } },
                ["sdtp"] = new PolicyScore { Accuracy = 1, Correct = 20, Interval = [0.8389, 1], Retention = 1, Samples = 20, ByLength = new() { ["1024"] = 1 } },
            },
        },
        PrunedFraction = 0.65,
        Compression = 1.6,
        TokensPerLayer = [4096, 2048],
        TokensPerLayerLength = 4096,
        Flops = new FlopsSection { SeqLen = 4096, Dense = 2e9, Sdtp = 1e9, Reduction = 0.5, PaperConvention = new() { ["dense"] = 2e9, ["sdtp"] = 1e9, ["reduction"] = 0.5 } },
        Latency = [new() { ["seq_len"] = 1024, ["dense_ms"] = 20, ["sdtp_ms"] = 12, ["speedup_sdtp"] = 20.0 / 12 }, new() { ["seq_len"] = 4096, ["dense_ms"] = 100, ["sdtp_ms"] = 100 / 1.8, ["speedup_sdtp"] = 1.8 }],
        KvCacheBytes = new() { ["dense"] = 1000, ["sdtp"] = 500, ["sdtp_evicted"] = 200 },
        DecodeTokensPerSecond = new() { ["dense"] = 100, ["sdtp"] = 120, ["sdtp_evicted"] = 130 },
        PeakMemoryBytes = new() { ["dense"] = 1 << 28, ["sdtp"] = 1 << 27 },
        PeakHeapGrowthBytes = new() { ["dense"] = 3 << 20, ["sdtp"] = 1 << 20 },
        Efficiency = new EfficiencySection { SeqLen = 4096, MeasuredSpeedup = 1.8, AnalyticSpeedup = 2, SpeedupEfficiency = 0.9, DenseGflops = 10, MatmulGflops = 50, MachineEfficiency = 0.2 },
        Heads = [new HeadQuality { Layer = 1, Spearman = 0.6, PairwiseAccuracy = 0.7 }],
        Sweep = [new SweepPoint { StageRatio = 0.5, PrunedFraction = 0.5, Accuracy = new() { ["dense"] = 1, ["sdtp"] = 0.9 } }, new SweepPoint { StageRatio = 0.8, PrunedFraction = 0.2, Accuracy = new() { ["dense"] = 1, ["sdtp"] = 1 } }],
        Seconds = 12,
    };
}
