using Prometheus;

namespace Sdtp.Server;

/// <summary>The server's Prometheus metrics, in a registry of its own (so two servers in one process do not mix).</summary>
public sealed class ServerMetrics
{
    /// <summary>The registry <c>/metrics</c> exports.</summary>
    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    /// <summary>Requests by endpoint and status.</summary>
    public Counter Requests { get; }

    /// <summary>Requests answered with an error status.</summary>
    public Counter Errors { get; }

    /// <summary>Prompt tokens of completed requests.</summary>
    public Counter PromptTokens { get; }

    /// <summary>Generated tokens.</summary>
    public Counter GeneratedTokens { get; }

    /// <summary>Prompt tokens SDTP did not carry to the last layer.</summary>
    public Counter PrunedTokens { get; }

    /// <summary>Seconds from a request's arrival to its first generated text.</summary>
    public Histogram TimeToFirstToken { get; }

    /// <summary>Seconds per generated token after the first.</summary>
    public Histogram TokenLatency { get; }

    /// <summary>New metrics in a new registry.</summary>
    public ServerMetrics()
    {
        var factory = Metrics.WithCustomRegistry(Registry);
        Requests = factory.CreateCounter("sdtp_requests_total", "Requests by endpoint and status.", "endpoint", "status");
        Errors = factory.CreateCounter("sdtp_errors_total", "Requests answered with an error.", "endpoint", "status");
        PromptTokens = factory.CreateCounter("sdtp_prompt_tokens_total", "Prompt tokens of completed requests.");
        GeneratedTokens = factory.CreateCounter("sdtp_generated_tokens_total", "Generated tokens.");
        PrunedTokens = factory.CreateCounter("sdtp_pruned_tokens_total", "Prompt tokens SDTP did not carry to the last layer.");
        TimeToFirstToken = factory.CreateHistogram("sdtp_time_to_first_token_seconds", "Seconds from arrival to the first generated text.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.005, 2, 14) });
        TokenLatency = factory.CreateHistogram("sdtp_token_latency_seconds", "Seconds per generated token after the first.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });
    }
}
