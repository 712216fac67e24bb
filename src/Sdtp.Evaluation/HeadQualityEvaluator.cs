using Sdtp.Evaluation.Reporting;
using Sdtp.Evaluation.Tasks;
using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Tokenization;
using Sdtp.Training;
using static TorchSharp.torch;

namespace Sdtp.Evaluation;

/// <summary>
/// How well each stage's head orders the prompt tokens the way the true saliency does, on held-out samples: the
/// head scores the dense model's hidden states entering its layer; saliency is what the heads are trained towards, the
/// marker's gradient x input of the answer carried forward from earlier stages (<see cref="RankableTargets.CarriedForward"/>). Spearman and pairwise accuracy per sample, averaged.
/// </summary>
public static class HeadQualityEvaluator
{
    /// <summary>One entry per stage.</summary>
    public static List<HeadQuality> Evaluate(LlamaForCausalLM model, ITextTokenizer tokenizer, PruningSchedule schedule, SaliencyHeads heads,
        IEnumerable<TaskSample> samples)
    {
        var spearman = schedule.Stages.Select(_ => new List<double>()).ToArray();
        var pairwise = schedule.Stages.Select(_ => new List<double>()).ToArray();
        foreach (var sample in samples)
        {
            var prompt = tokenizer.Encode(sample.Prompt, addBos: true);
            var answer = tokenizer.Encode(sample.Answer);
            var ids = prompt.Concat(answer).Select(i => (long)i).ToArray();
            var marked = SaliencyMarker.MarkSample(model, schedule, ids, ids.Select((_, i) => i >= prompt.Count).ToArray());
            var scores = StageScores(model, schedule, heads, ids);
            for (int s = 0; s < schedule.Stages.Count; s++)
            {
                var truth = RankableTargets.CarriedForward(marked.Saliency, s).Take(prompt.Count).ToArray();
                var predicted = scores[s].Take(prompt.Count).ToArray();
                var rho = RankingAgreement.Spearman(predicted, truth);
                var accuracy = RankingAgreement.PairwiseAccuracy(predicted, truth);
                if (!double.IsNaN(rho)) spearman[s].Add(rho);
                if (!double.IsNaN(accuracy)) pairwise[s].Add(accuracy);
            }
        }
        return schedule.Stages.Select((stage, s) => new HeadQuality
        {
            Layer = stage.Layer,
            Spearman = spearman[s].Count == 0 ? double.NaN : spearman[s].Average(),
            PairwiseAccuracy = pairwise[s].Count == 0 ? double.NaN : pairwise[s].Average(),
        }).ToList();
    }

    private static float[][] StageScores(LlamaForCausalLM model, PruningSchedule schedule, SaliencyHeads heads, long[] ids)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = tensor(ids, device: model.Device).unsqueeze(0);
        var hidden = model.Embed(input);
        var rope = model.RotaryFor(TensorMath.Range(0, ids.Length, model.Device).unsqueeze(0));
        var scores = new List<float[]>();
        for (int layer = 0; layer < model.Layers.Count && scores.Count < schedule.Stages.Count; layer++)
        {
            int stage = schedule.StageAt(layer);
            if (stage >= 0) scores.Add(heads.ForStage(stage).Score(hidden)[0].to_type(ScalarType.Float32).cpu().data<float>().ToArray());
            hidden = model.Layers[layer].Forward(hidden, rope, null, null);
        }
        return scores.ToArray();
    }
}
