using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sdtp.Evaluation.Reporting;

/// <summary>
/// <c>report.json</c>: everything one evaluation run measured. Property names are snake_case and the layout is
/// documented in docs/evaluation.md; fields are only ever added, never renamed.
/// </summary>
public sealed record EvaluationReport
{
    /// <summary>When the run finished (UTC, ISO 8601).</summary>
    public required string Date { get; init; }
    /// <summary>Where it ran: OS, cores, device.</summary>
    public required string Machine { get; init; }
    /// <summary>Checkpoint directory or "embedded default".</summary>
    public required string Model { get; init; }
    /// <summary>The schedule, as text.</summary>
    public required string Schedule { get; init; }

    /// <summary>Which forward ran SDTP: "generated" (the annotated class's) or "reference" (the runtime's loop).</summary>
    public string SdtpForward { get; init; } = "reference";
    /// <summary>Per task, per policy: the scores.</summary>
    public required Dictionary<string, Dictionary<string, PolicyScore>> Tasks { get; init; }
    /// <summary>
    /// The same families on the phrasings training used (evaluation seeds), for the policies asked; null when not run.
    /// Set beside <see cref="Tasks"/> (held-out phrasings) it shows how much of an accuracy is the template's.
    /// </summary>
    public Dictionary<string, Dictionary<string, PolicyScore>>? InDistribution { get; init; }
    /// <summary>Share of input tokens pruned by the last stage, at the evaluated lengths.</summary>
    public required double PrunedFraction { get; init; }
    /// <summary>The paper's compression: original tokens / average tokens per layer.</summary>
    public required double Compression { get; init; }
    /// <summary>Tokens each layer ran on, for a prompt of <see cref="TokensPerLayerLength"/> tokens.</summary>
    public required IReadOnlyList<int> TokensPerLayer { get; init; }
    /// <summary>The prompt length <see cref="TokensPerLayer"/> refers to.</summary>
    public required int TokensPerLayerLength { get; init; }
    /// <summary>Analytic prefill FLOPs.</summary>
    public required FlopsSection Flops { get; init; }
    /// <summary>Prefill latency by length.</summary>
    public required IReadOnlyList<Dictionary<string, double>> Latency { get; init; }
    /// <summary>KV-cache bytes after prefill (dense, sdtp, sdtp with decode-time eviction).</summary>
    public required Dictionary<string, long> KvCacheBytes { get; init; }
    /// <summary>Decode speed after prefill, tokens per second, by configuration.</summary>
    public required Dictionary<string, double> DecodeTokensPerSecond { get; init; }
    /// <summary>Peak resident memory of one prefill, bytes, by policy (the whole process, including what the allocator keeps).</summary>
    public required Dictionary<string, long> PeakMemoryBytes { get; init; }
    /// <summary>Peak growth of the C heap in use during one prefill, bytes, by policy: the prefill's own working memory; null where unmeasured.</summary>
    public Dictionary<string, long>? PeakHeapGrowthBytes { get; init; }
    /// <summary>How close the implementation gets to the FLOPs and to the machine.</summary>
    public required EfficiencySection Efficiency { get; init; }
    /// <summary>How well each stage's head orders tokens like the true saliency, on held-out samples.</summary>
    public required IReadOnlyList<HeadQuality> Heads { get; init; }
    /// <summary>Accuracy over keep budgets, per policy.</summary>
    public required IReadOnlyList<SweepPoint> Sweep { get; init; }
    /// <summary>Wall-clock seconds of the run.</summary>
    public required double Seconds { get; init; }

    /// <summary>The serializer settings of report.json.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>report.json text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads report.json text.</summary>
    public static EvaluationReport FromJson(string json) =>
        JsonSerializer.Deserialize<EvaluationReport>(json, JsonOptions) ?? throw new JsonException("report.json is empty");
}

/// <summary>One policy on one task.</summary>
public sealed record PolicyScore
{
    /// <summary>Share of samples answered right (retrieval tasks).</summary>
    public double? Accuracy { get; init; }
    /// <summary>Samples answered right (retrieval tasks).</summary>
    public int? Correct { get; init; }
    /// <summary>95% Wilson interval of <see cref="Accuracy"/>, [low, high] (retrieval tasks).</summary>
    public IReadOnlyList<double>? Interval { get; init; }
    /// <summary>Mean next-token loss of the continuation (language modelling).</summary>
    public double? Loss { get; init; }
    /// <summary>exp(loss) (language modelling).</summary>
    public double? Perplexity { get; init; }
    /// <summary>Policy / dense: accuracy ratio, or dense perplexity / policy perplexity for language modelling.</summary>
    public required double Retention { get; init; }
    /// <summary>Samples scored.</summary>
    public required int Samples { get; init; }
    /// <summary>Accuracy (or loss) by prompt length.</summary>
    public required Dictionary<string, double> ByLength { get; init; }
    /// <summary>Accuracy by needle depth (retrieval tasks).</summary>
    public Dictionary<string, double>? ByDepth { get; init; }
}

/// <summary>Analytic prefill FLOPs at the report's length.</summary>
public sealed record FlopsSection
{
    /// <summary>Prompt length they are computed for.</summary>
    public required int SeqLen { get; init; }
    /// <summary>Dense prefill, project convention.</summary>
    public required double Dense { get; init; }
    /// <summary>SDTP prefill, heads included, project convention.</summary>
    public required double Sdtp { get; init; }
    /// <summary>1 - sdtp / dense.</summary>
    public required double Reduction { get; init; }
    /// <summary>The same under the paper's counting.</summary>
    public required Dictionary<string, double> PaperConvention { get; init; }
}

/// <summary>Measured against analytic.</summary>
public sealed record EfficiencySection
{
    /// <summary>Prompt length of these figures.</summary>
    public required int SeqLen { get; init; }
    /// <summary>Measured SDTP prefill speedup.</summary>
    public required double MeasuredSpeedup { get; init; }
    /// <summary>dense FLOPs / sdtp FLOPs.</summary>
    public required double AnalyticSpeedup { get; init; }
    /// <summary>measured / analytic: 1 means the implementation turns every saved FLOP into saved time.</summary>
    public required double SpeedupEfficiency { get; init; }
    /// <summary>Dense prefill FLOPs / its median time.</summary>
    public required double DenseGflops { get; init; }
    /// <summary>A plain fp32 matmul on the same machine in the same run.</summary>
    public required double MatmulGflops { get; init; }
    /// <summary>dense / matmul GFLOP/s.</summary>
    public required double MachineEfficiency { get; init; }
}

/// <summary>Ranking quality of one stage's head.</summary>
public sealed record HeadQuality
{
    /// <summary>Layer the head sits before.</summary>
    public required int Layer { get; init; }
    /// <summary>Mean Spearman correlation with saliency.</summary>
    public required double Spearman { get; init; }
    /// <summary>Mean share of token pairs ordered like saliency (0.5 = chance).</summary>
    public required double PairwiseAccuracy { get; init; }
}

/// <summary>Accuracy at one keep budget.</summary>
public sealed record SweepPoint
{
    /// <summary>Per-stage keep ratio of the scaled schedule.</summary>
    public required double StageRatio { get; init; }
    /// <summary>Share of input tokens pruned by the last stage.</summary>
    public required double PrunedFraction { get; init; }
    /// <summary>Mean retrieval accuracy per policy.</summary>
    public required Dictionary<string, double> Accuracy { get; init; }
}
