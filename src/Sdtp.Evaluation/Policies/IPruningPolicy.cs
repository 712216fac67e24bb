using Sdtp.Evaluation.Tasks;
using Sdtp.Pruning;

namespace Sdtp.Evaluation.Policies;

/// <summary>
/// A pruning policy, kvpress-style: one small class that decides which tokens survive each stage of the SAME
/// schedule, so every policy runs at the same keep budget through the same pruned forward.
/// </summary>
public interface IPruningPolicy
{
    /// <summary>Name in reports: dense, sdtp, oracle, random, window, attention.</summary>
    string Name { get; }

    /// <summary>The scorer for one sample's prompt ids; null means run dense (no pruning at all).</summary>
    ITokenScorer? ScorerFor(PolicyContext context);
}

/// <summary>What a policy may look at for one sample.</summary>
/// <param name="Sample">The task sample.</param>
/// <param name="PromptIds">Its prompt as token ids (BOS first).</param>
/// <param name="AnswerIds">Its answer as token ids (only the oracle may use them).</param>
/// <param name="Seed">A per-sample seed for stochastic policies.</param>
public sealed record PolicyContext(TaskSample Sample, IReadOnlyList<int> PromptIds, IReadOnlyList<int> AnswerIds, int Seed);
