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

    /// <summary>Throws a one-line <see cref="ArgumentException"/> for a value out of range, naming it as the caller spells it.</summary>
    public void Validate(string maxNewTokensName = nameof(MaxNewTokens), string temperatureName = nameof(Temperature), string topPName = nameof(TopP))
    {
        static string F(double v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (MaxNewTokens < 0) throw new ArgumentException($"{maxNewTokensName} must be 0 or more (got {MaxNewTokens})");
        // Infinity would sample uniformly, whatever the model says: never what a caller meant.
        if (!(Temperature >= 0 && double.IsFinite(Temperature))) throw new ArgumentException($"{temperatureName} must be a finite number, 0 or more (got {F(Temperature)})");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"{topPName} must be in (0, 1] (got {F(TopP)})");
    }
}
