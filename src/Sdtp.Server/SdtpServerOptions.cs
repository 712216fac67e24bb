namespace Sdtp.Server;

/// <summary>How the server listens and what it accepts.</summary>
public sealed record SdtpServerOptions
{
    /// <summary>The environment variable read for the API key when none is given.</summary>
    public const string ApiKeyVariable = "SDTP_API_KEY";

    /// <summary>Address to bind: loopback unless told otherwise.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Port; 0 picks a free one (tests).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>When set, every /v1 request needs <c>Authorization: Bearer KEY</c>.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Largest request body in bytes; larger gets 413.</summary>
    public long MaxBodyBytes { get; init; } = 1 << 20;

    /// <summary>Requests that decode together in one batch.</summary>
    public int MaxBatch { get; init; } = 16;

    /// <summary>Requests that may wait while a full batch decodes; beyond them a request gets 429 with Retry-After.</summary>
    public int QueueLimit { get; init; } = 16;
}
