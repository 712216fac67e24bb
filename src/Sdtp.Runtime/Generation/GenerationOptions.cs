namespace Sdtp.Generation;

/// <summary>How to pick and when to stop.</summary>
public sealed record GenerationOptions
{
    /// <summary>Most new tokens to produce.</summary>
    public int MaxNewTokens { get; init; } = 64;
    /// <summary>0 (the default) decodes greedily; above 0 samples from softmax(logits / temperature).</summary>
    public double Temperature { get; init; }
    /// <summary>Nucleus sampling: sample only from the smallest set of tokens whose probability reaches this. 1 = off.</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>Seed of the sampling generator: the same seed gives the same tokens.</summary>
    public long Seed { get; init; } = 0;
    /// <summary>Token ids that end generation (emitted, then stop). Empty: the model config's EOS ids.</summary>
    public IReadOnlyList<int>? StopTokenIds { get; init; }

    internal void Validate()
    {
        if (MaxNewTokens < 0) throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "must be >= 0");
        if (Temperature < 0 || double.IsNaN(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "must be >= 0");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "must be in (0, 1]");
    }
}
