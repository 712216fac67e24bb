using Sdtp.Pruning;

namespace Sdtp.Evaluation.Policies;

/// <summary>SDTP: the trained saliency heads score each token from its hidden state.</summary>
public sealed class SdtpPolicy(SaliencyHeads heads) : IPruningPolicy
{
    private readonly SaliencyHeadScorer scorer = new(heads);

    /// <inheritdoc/>
    public string Name => "sdtp";

    /// <inheritdoc/>
    public ITokenScorer? ScorerFor(PolicyContext context) => scorer;
}
