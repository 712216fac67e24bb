using Sdtp.Evaluation.Tasks;
using Sdtp.Generation;
using Sdtp.Modeling;
using Sdtp.Tokenization;
using static TorchSharp.torch;

namespace Sdtp.Evaluation;

/// <summary>
/// Picks among head candidates trained from different seeds by their accuracy on a validation set drawn from the
/// TRAINING seed stream (never the evaluation one). Measured on the default model: the same recipe trained from
/// different seeds kept between 0.29 and 0.97 of dense multi-key accuracy, so one draw is a lottery and choosing on
/// held-out training data is the cheap fix.
/// </summary>
public static class HeadSelection
{
    /// <summary>Sample indices of the validation set start here, far above the marked samples' 0, 1, 2, ...</summary>
    public const int ValidationIndexBase = 500_000;

    /// <summary>
    /// <paramref name="perTask"/> validation samples of every retrieval task of <paramref name="suite"/>, lengths
    /// alternating between <paramref name="lengths"/>, depths spread over (0, 1). The template tasks take them from
    /// the training stream at <see cref="ValidationIndexBase"/> (as they always have); the RULER-like families from the
    /// validation stream, on training phrasings.
    /// </summary>
    public static IReadOnlyList<TaskSample> ValidationSamples(int perTask, IReadOnlyList<int> lengths, EvaluationSuite suite = EvaluationSuite.Templates) =>
        suite.TrainingRetrieval().SelectMany(task => Enumerable.Range(0, perTask).Select(i => suite == EvaluationSuite.Ruler
            ? TaskSuite.ValidationSample(task, lengths[i % lengths.Count], (i + 0.5) / perTask, i)
            : TaskSuite.TrainingSample(task, lengths[i % lengths.Count], (i + 0.5) / perTask, ValidationIndexBase + i))).ToList();

    /// <summary>Exact-match accuracy per task over <paramref name="samples"/> with <paramref name="prefill"/> (dense when null).</summary>
    public static Dictionary<string, double> AccuracyByTask(LlamaForCausalLM model, ITextTokenizer tokenizer, IReadOnlyList<TaskSample> samples,
        Prefill? prefill, Action<int>? progress = null)
    {
        var correct = new Dictionary<string, (int Right, int Total)>();
        for (int i = 0; i < samples.Count; i++)
        {
            using var scope = NewDisposeScope();
            bool right = Answers.ExactMatch(model, tokenizer, samples[i], prefill);
            var (r, t) = correct.GetValueOrDefault(samples[i].Task);
            correct[samples[i].Task] = (r + (right ? 1 : 0), t + 1);
            progress?.Invoke(i + 1);
        }
        return correct.ToDictionary(c => c.Key, c => (double)c.Value.Right / c.Value.Total);
    }

    /// <summary>
    /// How a candidate is ranked: its lowest retention (accuracy / dense accuracy) over the tasks, so a head set that
    /// keeps every task beats one that excels on two and loses the third; ties go to the higher mean accuracy.
    /// </summary>
    public static (double WorstRetention, double MeanAccuracy) Score(IReadOnlyDictionary<string, double> candidate, IReadOnlyDictionary<string, double> dense) =>
        (dense.Where(d => d.Value > 0).Select(d => candidate.GetValueOrDefault(d.Key) / d.Value).DefaultIfEmpty(1).Min(),
         candidate.Values.DefaultIfEmpty(0).Average());
}
