using Sdtp.Pruning;

namespace Sdtp.Evaluation.Policies;

/// <summary>
/// SDTP: the trained saliency heads score each token from its hidden state. <paramref name="name"/> tells several head
/// sets apart in one run (one per training seed, say).
/// </summary>
public sealed class SdtpPolicy(SaliencyHeads heads, string name = "sdtp") : IPruningPolicy
{
    private readonly SaliencyHeadScorer scorer = new(heads);

    /// <inheritdoc/>
    public string Name => name;

    /// <inheritdoc/>
    public ITokenScorer? ScorerFor(PolicyContext context) => scorer;
}
