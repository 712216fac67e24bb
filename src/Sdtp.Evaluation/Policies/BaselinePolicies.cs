using Sdtp.Pruning;
using static TorchSharp.torch;

namespace Sdtp.Evaluation.Policies;

/// <summary>No pruning: the reference every ratio is taken against.</summary>
public sealed class DensePolicy : IPruningPolicy
{
    /// <inheritdoc/>
    public string Name => "dense";

    /// <inheritdoc/>
    public ITokenScorer? ScorerFor(PolicyContext context) => null;
}

/// <summary>Keeps a seeded random subset (beyond the forced tokens): the floor any informed policy must beat.</summary>
public sealed class RandomPolicy : IPruningPolicy
{
    /// <inheritdoc/>
    public string Name => "random";

    /// <inheritdoc/>
    public ITokenScorer? ScorerFor(PolicyContext context) => new Scorer(context.Seed);

    private sealed class Scorer(int seed) : ITokenScorer
    {
        public string Name => "random";

        public Tensor Score(StageInput input)
        {
            using var generator = new Generator((ulong)(seed * 131L + input.Stage), CPU);
            return rand(input.Positions.shape, generator: generator).to(input.Hidden.device);
        }
    }
}

/// <summary>
/// StreamingLLM-style: attention sinks and the most recent tokens only. Scores are the original positions, so with
/// the same budget it keeps the forced first tokens and then the newest ones.
/// </summary>
public sealed class WindowPolicy : IPruningPolicy
{
    /// <inheritdoc/>
    public string Name => "window";

    /// <inheritdoc/>
    public ITokenScorer? ScorerFor(PolicyContext context) => new Scorer();

    private sealed class Scorer : ITokenScorer
    {
        public string Name => "window";

        public Tensor Score(StageInput input) => input.Positions.to_type(ScalarType.Float32);
    }
}

/// <summary>
/// Training-free, LazyLLM / FastV-style: the attention the last tokens pay to each token at the stage's layer,
/// computed explicitly for those queries only (O(n)), averaged over heads.
/// </summary>
/// <param name="queries">How many final tokens' attention to average (LazyLLM uses the last one; a few are steadier).</param>
public sealed class AttentionPolicy(int queries = 8) : IPruningPolicy
{
    /// <inheritdoc/>
    public string Name => "attention";

    /// <inheritdoc/>
    public ITokenScorer? ScorerFor(PolicyContext context) => new Scorer(queries);

    private sealed class Scorer(int queries) : ITokenScorer
    {
        public string Name => "attention";

        public Tensor Score(StageInput input) =>
            input.Model.Layers[input.Layer].LastTokensAttention(input.Hidden, input.Rope, input.Valid, queries);
    }
}
