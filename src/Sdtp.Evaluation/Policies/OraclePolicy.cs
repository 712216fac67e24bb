using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Training;
using static TorchSharp.torch;

namespace Sdtp.Evaluation.Policies;

/// <summary>
/// An upper bound, not a method: the targets the heads learn, computed for the actual answer on the dense model (which
/// no real policy has) and used as the score at every stage: gradient x input saliency carried forward from earlier
/// stages (<see cref="RankableTargets.CarriedForward"/>). Tokens are looked up by their original position, so later
/// stages score the survivors by the value they had at that stage in the dense model.
/// </summary>
public sealed class OraclePolicy(LlamaForCausalLM model, PruningSchedule schedule) : IPruningPolicy
{
    /// <inheritdoc/>
    public string Name => "oracle";

    /// <inheritdoc/>
    public ITokenScorer? ScorerFor(PolicyContext context)
    {
        var ids = context.PromptIds.Concat(context.AnswerIds).Select(i => (long)i).ToArray();
        var targets = ids.Select((_, i) => i >= context.PromptIds.Count ? 1L : 0L).ToArray();
        using var scope = NewDisposeScope();
        var idTensor = tensor(ids, device: model.Device).unsqueeze(0);
        var targetTensor = tensor(targets, device: model.Device).unsqueeze(0);
        var saliency = SaliencyMarker.Mark(model, schedule, idTensor, targetTensor)
            .Select(s => SaliencyMarker.Normalize(s)[0].narrow(0, 0, context.PromptIds.Count).cpu().data<float>().ToArray())
            .ToArray();
        return new Scorer(saliency.Select((_, s) => RankableTargets.CarriedForward(saliency, s)).ToArray());
    }

    private sealed class Scorer(float[][] saliencyByStage) : ITokenScorer
    {
        public string Name => "oracle";

        public Tensor Score(StageInput input)
        {
            using var scope = NewDisposeScope();
            var table = tensor(saliencyByStage[input.Stage], device: input.Hidden.device);
            return table.index_select(0, input.Positions.flatten()).view(input.Positions.shape).MoveToOuterDisposeScope();
        }
    }
}
