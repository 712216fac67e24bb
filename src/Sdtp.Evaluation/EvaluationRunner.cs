using System.Diagnostics;
using Sdtp.Evaluation.Measurement;
using Sdtp.Evaluation.Policies;
using Sdtp.Evaluation.Reporting;
using Sdtp.Evaluation.Tasks;
using Sdtp.Evaluation.Tasks.Ruler;
using Sdtp.Generation;
using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Tokenization;

namespace Sdtp.Evaluation;

/// <summary>What an evaluation run measures; the defaults are what the demo runs.</summary>
public sealed record EvaluationSettings
{
    /// <summary>The accuracy grid.</summary>
    public AccuracyGrid Grid { get; init; } = new(["passkey", "multikey", "multivalue", "lm"], [512, 1024], [0.1, 0.3, 0.5, 0.7, 0.9], 4);
    /// <summary>Policies besides dense and sdtp: any of oracle, random, window, attention.</summary>
    public IReadOnlyList<string> Baselines { get; init; } = BaselineNames;
    /// <summary>Every baseline policy the runner knows.</summary>
    public static IReadOnlyList<string> BaselineNames { get; } = ["oracle", "random", "window", "attention"];
    /// <summary>Prefill lengths timed.</summary>
    public IReadOnlyList<int> LatencyLengths { get; init; } = [1024, 2048, 4096];
    /// <summary>Untimed runs per prefill before timing.</summary>
    public int Warmup { get; init; } = 1;
    /// <summary>Timed runs per prefill (median reported).</summary>
    public int Repeats { get; init; } = 5;
    /// <summary>Per-stage keep ratios of the accuracy-vs-budget sweep (same stage layers as the schedule).</summary>
    public IReadOnlyList<double> SweepRatios { get; init; } = [0.6, 0.75, 0.9];
    /// <summary>Samples per retrieval task per sweep point (at the grid's longest length).</summary>
    public int SweepSamples { get; init; } = 6;
    /// <summary>Held-out samples for the head-quality figures.</summary>
    public int HeadSamples { get; init; } = 8;
    /// <summary>Decode steps timed after prefill.</summary>
    public int DecodeTokens { get; init; } = 32;
    /// <summary>KV budget per layer of the decode-time eviction measured with SDTP.</summary>
    public int EvictionBudget { get; init; } = 256;
    /// <summary>A second grid scored only by <see cref="InDistributionPolicies"/> (the report's <c>in_distribution</c>); null skips it.</summary>
    public AccuracyGrid? InDistribution { get; init; }
    /// <summary>Policies of the in-distribution grid.</summary>
    public IReadOnlyList<string> InDistributionPolicies { get; init; } = ["dense", "sdtp"];

    /// <summary>Needle depths of the RULER-like grid: ten, evenly from 0.05 to 0.95.</summary>
    public static IReadOnlyList<double> SpreadDepths { get; } = Enumerable.Range(0, 10).Select(i => Math.Round(0.05 + 0.1 * i, 2)).ToArray();

    /// <summary>
    /// The RULER-like suite: every family on held-out phrasings, words and prose at 1024 and 2048 tokens, ten depths
    /// from 0.05 to 0.95, <paramref name="samplesPerCell"/> samples per depth (10: 100 per family and length) for dense
    /// and sdtp and <paramref name="baselineSamplesPerCell"/> for the baselines (null: as many); and the same families on
    /// training phrasings, dense and sdtp, <paramref name="inDistributionPerCell"/> per depth.
    /// </summary>
    public static EvaluationSettings Ruler(int samplesPerCell = 10, int? baselineSamplesPerCell = null, int inDistributionPerCell = 5, IReadOnlyList<int>? lengths = null)
    {
        var families = RulerSuite.HeldOut.Select(t => t.Name).ToList();
        lengths ??= [1024, 2048];
        return new EvaluationSettings
        {
            Grid = new AccuracyGrid(families, lengths, SpreadDepths, samplesPerCell) { BaselineSamplesPerCell = baselineSamplesPerCell },
            InDistribution = new AccuracyGrid(RulerSuite.Training.Select(t => t.Name).ToList(), lengths, SpreadDepths, inDistributionPerCell),
        };
    }

    /// <summary>
    /// Refuses settings the model cannot serve: a scored or timed length beyond the checkpoint's
    /// <c>max_position_embeddings</c> (whose accuracy would be noise) or a count below 1, naming the value.
    /// </summary>
    /// <param name="config">The model's configuration.</param>
    /// <param name="source">Its file, for the message.</param>
    public void Validate(ModelConfig config, string source = "config.json")
    {
        CheckLengths("--lengths", Grid.Lengths.Concat(InDistribution?.Lengths ?? []), config, source);
        CheckLengths("--latency-lengths", LatencyLengths, config, source);
        if (Grid.SamplesPerCell < 1) throw new ArgumentException($"--samples must be at least 1 (got {Grid.SamplesPerCell})");
        if (Repeats < 1) throw new ArgumentException($"--repeats must be at least 1 (got {Repeats})");
    }

    /// <summary>Refuses grid lengths too short for a grid task's fixed parts (<see cref="TaskSuite.CheckFits"/>); the CLI calls it before any work.</summary>
    public void CheckTasksFit()
    {
        foreach (var grid in new[] { Grid, InDistribution }.OfType<AccuracyGrid>())
            foreach (var task in grid.Tasks.Select(TaskSuite.ByName))
                TaskSuite.CheckFits(task, grid.Lengths.Min(), "--lengths");
    }

    /// <summary>Refuses a prompt length below 1 or beyond the model's <c>max_position_embeddings</c>, naming <paramref name="option"/>.</summary>
    public static void CheckLengths(string option, IEnumerable<int> lengths, ModelConfig config, string source = "config.json")
    {
        foreach (var length in lengths)
        {
            if (length < 1) throw new ArgumentException($"{option}: {length} is not a prompt length (must be at least 1)");
            if (length > config.MaxPositionEmbeddings)
                throw new ArgumentException($"{option}: {length} tokens is longer than the model's max_position_embeddings ({config.MaxPositionEmbeddings}, {source})");
        }
    }
}

/// <summary>A step of a long run, for progress bars: which part, and how far.</summary>
public sealed record EvaluationProgress(string Part, int Done, int Total);

/// <summary>
/// Runs the whole evaluation of one model, schedule and set of trained heads: accuracy of every policy, the
/// accuracy-vs-budget sweep, head quality, FLOPs, prefill latency, decode and memory. Every speed figure is a ratio to
/// dense measured in the same run. When the model is an annotated <c>[SdtpModel]</c> class holding these heads for
/// this schedule, SDTP's accuracy and speed are measured through its generated forward; otherwise (and in the sweep,
/// whose schedules differ) through the reference loop.
/// </summary>
public sealed class EvaluationRunner(LlamaForCausalLM model, ITextTokenizer tokenizer, PruningSchedule schedule, SaliencyHeads heads,
    string modelName)
{
    /// <summary>The annotated model whose generated forward runs SDTP at <paramref name="forSchedule"/>, or null.</summary>
    private ISdtpModel? GeneratedFor(PruningSchedule forSchedule) =>
        model is ISdtpModel annotated && ReferenceEquals(annotated.SdtpHeads, heads) && PruningScheduleSyntax.SameSchedule(annotated.SdtpSchedule, forSchedule)
            ? annotated : null;

    /// <summary>The report of everything <paramref name="settings"/> asks for.</summary>
    public EvaluationReport Run(EvaluationSettings settings, Action<EvaluationProgress>? progress = null)
    {
        settings.Validate(model.Config);
        var watch = Stopwatch.StartNew();
        var policies = Policies(settings.Baselines, schedule);
        var evaluator = new AccuracyEvaluator(model, tokenizer, schedule);
        var tasks = evaluator.Run(policies, settings.Grid, (d, t) => progress?.Invoke(new("accuracy", d, t)));
        var sdtpReports = evaluator.Reports.ToList();
        var inDistribution = settings.InDistribution is { } inGrid
            ? evaluator.Run(policies.Where(p => settings.InDistributionPolicies.Contains(p.Name)).ToList(), inGrid,
                (d, t) => progress?.Invoke(new("accuracy, training phrasings", d, t)))
            : null;

        var sweep = Sweep(settings, progress);
        progress?.Invoke(new("head quality", 0, 1));
        var retrieval = settings.Grid.Tasks.Select(TaskSuite.ByName).Where(t => t.IsRetrieval).ToList();
        var heldOut = Enumerable.Range(0, settings.HeadSamples).Select(i =>
            TaskSuite.EvaluationSample(retrieval[i % retrieval.Count], settings.Grid.Lengths[0], (i + 0.5) / settings.HeadSamples, 10_000 + i));
        var headQuality = HeadQualityEvaluator.Evaluate(model, tokenizer, schedule, heads, heldOut);
        progress?.Invoke(new("head quality", 1, 1));

        int flopsLength = settings.LatencyLengths.Max();
        var flops = PrefillFlops.Estimate(model.Config, schedule, flopsLength, heads.InnerSize);
        var paper = PrefillFlops.EstimatePaperConvention(model.Config, schedule, flopsLength);
        var perLayer = schedule.TokensPerLayer(flopsLength, model.Config.NumHiddenLayers);

        var bench = new PerformanceBenchmark(model);
        // Timed prefills run on synthetic prompts: the policies timed here never read their sample.
        var timing = new PolicyContext(TaskSuite.EvaluationSample(TaskSuite.All[0], 128, 0.5, 0), [1], [1], 1);
        var sdtp = evaluator.PrefillFor(policies.Single(p => p.Name == "sdtp"), timing)!;
        var prefills = new Dictionary<string, Prefill> { ["dense"] = (m, ids, cache) => m.Forward(ids, cache: cache), ["sdtp"] = sdtp };
        foreach (var name in new[] { "random", "window", "attention" }.Where(settings.Baselines.Contains))
            prefills[name] = evaluator.PrefillFor(policies.Single(p => p.Name == name), timing)!;
        var latency = bench.PrefillLatency(prefills, settings.LatencyLengths, settings.Warmup, settings.Repeats,
            p => progress?.Invoke(new(p, 0, 1)));

        progress?.Invoke(new("decode and memory", 0, 1));
        int decodeLength = settings.Grid.Lengths.Max();
        var eviction = new SinkWindowEviction(settings.EvictionBudget);
        var (denseBytes, denseTps) = bench.Decode(prefills["dense"], decodeLength, settings.DecodeTokens);
        var (sdtpBytes, sdtpTps) = bench.Decode(sdtp, decodeLength, settings.DecodeTokens);
        var (evictedBytes, evictedTps) = bench.Decode(sdtp, decodeLength, settings.DecodeTokens, eviction);
        var memory = new Dictionary<string, PrefillMemory>
        {
            ["dense"] = bench.PeakPrefillMemory(prefills["dense"], flopsLength),
            ["sdtp"] = bench.PeakPrefillMemory(sdtp, flopsLength),
        };
        progress?.Invoke(new("decode and memory", 1, 1));

        var longest = latency.Single(r => (int)r["seq_len"] == flopsLength);
        double measured = longest["speedup_sdtp"];
        double matmul = PerformanceBenchmark.MatmulGflops(model.Device);
        double denseGflops = flops.Dense / (longest["dense_ms"] / 1000) / 1e9;
        var atLength = sdtpReports.Where(r => r.OriginalLength == settings.Grid.Lengths.Max()).ToList();
        return new EvaluationReport
        {
            Date = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"),
            Machine = $"{Environment.OSVersion.Platform} {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, device {model.Device.type}",
            Model = modelName,
            Schedule = schedule.ToString(),
            SdtpForward = GeneratedFor(schedule) is null ? "reference" : "generated",
            Tasks = tasks,
            InDistribution = inDistribution,
            PrunedFraction = atLength.Count > 0 ? atLength.Average(r => r.PrunedFraction) : 1 - schedule.TokensPerLayer(flopsLength, model.Config.NumHiddenLayers)[^1] / (double)flopsLength,
            Compression = flopsLength / perLayer.Average(),
            TokensPerLayer = perLayer,
            TokensPerLayerLength = flopsLength,
            Flops = new FlopsSection
            {
                SeqLen = flopsLength,
                Dense = flops.Dense,
                Sdtp = flops.Pruned,
                Reduction = flops.Reduction,
                PaperConvention = new() { ["dense"] = paper.Dense, ["sdtp"] = paper.Pruned, ["reduction"] = paper.Reduction },
            },
            Latency = latency,
            KvCacheBytes = new() { ["dense"] = denseBytes, ["sdtp"] = sdtpBytes, ["sdtp_evicted"] = evictedBytes },
            DecodeTokensPerSecond = new() { ["dense"] = denseTps, ["sdtp"] = sdtpTps, ["sdtp_evicted"] = evictedTps },
            PeakMemoryBytes = memory.ToDictionary(kv => kv.Key, kv => kv.Value.PeakResidentBytes),
            PeakHeapGrowthBytes = memory.Values.All(m => m.PeakHeapGrowthBytes is not null)
                ? memory.ToDictionary(kv => kv.Key, kv => kv.Value.PeakHeapGrowthBytes!.Value)
                : null,
            Efficiency = new EfficiencySection
            {
                SeqLen = flopsLength,
                MeasuredSpeedup = measured,
                AnalyticSpeedup = flops.Dense / flops.Pruned,
                SpeedupEfficiency = measured / (flops.Dense / flops.Pruned),
                DenseGflops = denseGflops,
                MatmulGflops = matmul,
                MachineEfficiency = denseGflops / matmul,
            },
            Heads = headQuality,
            Sweep = sweep,
            Seconds = watch.Elapsed.TotalSeconds,
        };
    }

    /// <summary>The policies named, plus dense and sdtp, in report order.</summary>
    public List<IPruningPolicy> Policies(IReadOnlyList<string> baselines, PruningSchedule forSchedule)
    {
        var policies = new List<IPruningPolicy> { new DensePolicy(), new SdtpPolicy(heads) { Generated = GeneratedFor(forSchedule) } };
        foreach (var name in baselines)
            policies.Add(name switch
            {
                "oracle" => new OraclePolicy(model, forSchedule),
                "random" => new RandomPolicy(),
                "window" => new WindowPolicy(),
                "attention" => new AttentionPolicy(),
                _ => throw new ArgumentException($"unknown policy '{name}'; known: {string.Join(", ", EvaluationSettings.BaselineNames)}"),
            });
        return policies;
    }

    private List<SweepPoint> Sweep(EvaluationSettings settings, Action<EvaluationProgress>? progress)
    {
        var points = new List<SweepPoint>();
        int length = settings.Grid.Lengths.Max();
        var retrieval = settings.Grid.Tasks.Where(t => TaskSuite.ByName(t).IsRetrieval).ToList();
        for (int i = 0; i < settings.SweepRatios.Count; i++)
        {
            double ratio = settings.SweepRatios[i];
            var scaled = schedule.AtKeepRatio(ratio);
            var evaluator = new AccuracyEvaluator(model, tokenizer, scaled);
            var policies = Policies(settings.Baselines.Where(b => b != "oracle").ToList(), scaled).Where(p => p.Name != "dense").Prepend(new DensePolicy()).ToList();
            var grid = new AccuracyGrid(retrieval, [length], [0.5], settings.SweepSamples);
            var scores = evaluator.Run(policies, grid, (d, t) => progress?.Invoke(new($"sweep {i + 1}/{settings.SweepRatios.Count} (ratio {ratio})", d, t)));
            var perLayer = scaled.TokensPerLayer(length, model.Config.NumHiddenLayers);
            points.Add(new SweepPoint
            {
                StageRatio = ratio,
                PrunedFraction = 1 - perLayer[^1] / (double)length,
                Accuracy = policies.ToDictionary(p => p.Name, p => scores.Values.Average(t => t[p.Name].Accuracy ?? 0)),
            });
        }
        return points;
    }
}
