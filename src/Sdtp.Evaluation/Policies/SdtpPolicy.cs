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

    /// <summary>The heads this policy prunes with.</summary>
    public SaliencyHeads Heads => heads;

    /// <summary>
    /// The annotated model whose generated forward runs this policy (its heads are <see cref="Heads"/> and its schedule
    /// the evaluated one), or null for the runtime's reference loop. Both keep the same tokens (tested).
    /// </summary>
    public ISdtpModel? Generated { get; init; }

    /// <inheritdoc/>
    public ITokenScorer? ScorerFor(PolicyContext context) => scorer;
}
