using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Generation;

/// <summary>Greedy or seeded temperature/top-p sampling over next-token logits.</summary>
public sealed class TokenSampler : IDisposable
{
    private readonly double temperature, topP;
    private readonly Generator? generator;

    /// <summary>A sampler for <paramref name="options"/>; its random stream is seeded with <see cref="GenerationOptions.Seed"/>.</summary>
    public TokenSampler(GenerationOptions options)
    {
        options.Validate();
        temperature = options.Temperature;
        topP = options.TopP;
        // The generator lives on the CPU: sampling a [B, V] row there is cheap and reproducible across devices.
        if (temperature > 0) generator = new Generator((ulong)options.Seed, CPU);
    }

    /// <summary>The next token of each row of <paramref name="logits"/> [B, V]: [B] int64, on the CPU.</summary>
    public Tensor Next(Tensor logits)
    {
        using var scope = NewDisposeScope();
        if (generator is null)
            return logits.detach().to_type(ScalarType.Float32).cpu().argmax(-1).MoveToOuterDisposeScope();

        // In float64, shifted so the best logit is 0: any positive temperature (1e-300 included, which float32 rounds
        // to 0) then sends the others to at most -inf and the best to 0, never to NaN.
        var scores = logits.detach().to_type(ScalarType.Float64).cpu();
        var probabilities = scores.Minus(scores.amax([-1], keepdim: true)).DividedBy(temperature).softmax(-1);
        if (topP < 1.0)
        {
            var (sorted, order) = probabilities.sort(-1, descending: true);
            // Drop a token when the mass before it already reaches top_p; the most likely token always stays.
            var massBefore = sorted.cumsum(-1).Minus(sorted);
            var filtered = sorted.FilledWhere(massBefore.IsAtLeast(topP), 0.0);
            probabilities = zeros_like(probabilities).scatter(-1, order, filtered);
        }
        return probabilities.multinomial(1, generator: generator).squeeze(-1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Dispose() => generator?.Dispose();
}
