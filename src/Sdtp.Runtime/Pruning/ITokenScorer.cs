using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Pruning;

/// <summary>What a scorer sees at a pruning stage: the hidden states entering the stage's layer and where they came from.</summary>
/// <param name="Model">The model being run.</param>
/// <param name="Stage">Stage index in the schedule.</param>
/// <param name="Layer">The decoder layer the stage sits before.</param>
/// <param name="Hidden">[B, n, d] hidden states entering <paramref name="Layer"/>.</param>
/// <param name="Positions">[B, n] original position ids of those tokens.</param>
/// <param name="Valid">[B, n] bool, false for padding; null when none.</param>
/// <param name="Rope">cos/sin of <paramref name="Positions"/>.</param>
public sealed record StageInput(LlamaForCausalLM Model, int Stage, int Layer, Tensor Hidden, Tensor Positions, Tensor? Valid, RotaryTable Rope);

/// <summary>
/// A pruning policy: scores the tokens present at a stage; the selection keeps the forced tokens and the
/// highest-scored others. SDTP's trained heads are one scorer; baselines (random, window, attention, oracle) are others,
/// so every policy runs through the same pruned forward at the same budget.
/// </summary>
public interface ITokenScorer
{
    /// <summary>Short name for reports (<c>sdtp</c>, <c>random</c>, ...).</summary>
    string Name { get; }

    /// <summary>Keep scores [B, n], higher = keep: a new tensor, which the pruned prefill disposes once it has selected.</summary>
    Tensor Score(StageInput input);
}

/// <summary>SDTP: the stage's trained saliency head scores each token from its hidden state.</summary>
public sealed class SaliencyHeadScorer : ITokenScorer
{
    private readonly SaliencyHeads heads;

    /// <summary>A scorer of <paramref name="heads"/>, which must be trained or loaded (<see cref="SaliencyHeads.EnsureTrained"/>).</summary>
    public SaliencyHeadScorer(SaliencyHeads heads)
    {
        heads.EnsureTrained();
        this.heads = heads;
    }

    /// <inheritdoc/>
    public string Name => "sdtp";

    /// <summary>The heads, one per stage.</summary>
    public SaliencyHeads Heads => heads;

    /// <inheritdoc/>
    public Tensor Score(StageInput input) => heads.ForStage(input.Stage).Score(input.Hidden);
}
