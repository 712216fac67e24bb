using System.Text.Json;
using Sdtp.Checkpoints;
using Sdtp.Evaluation.Tasks;
using Sdtp.Evaluation.Tasks.Ruler;
using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Tokenization;
using Sdtp.Training;

namespace Sdtp.Evaluation;

/// <summary>
/// Marked samples for head training: generated from the tasks' TRAINING seed stream (never the evaluation one),
/// marked on the frozen model, stored as JSON lines (one sample, its targets and its saliency per line).
/// </summary>
public static class MarkedSampleStore
{
    private sealed record Line(long[] Ids, bool[] Targets, float[][] Saliency);

    /// <summary>
    /// Marks <paramref name="count"/> samples: retrieval tasks in turn, prompt lengths spread over
    /// [<paramref name="minLength"/>, <paramref name="maxLength"/>], needles at spread depths; targets are the answers.
    /// A sample whose context could be asked other questions (multi-key) is marked once per question and its context
    /// takes the largest saliency of any (<see cref="QueryMarginalSaliency"/>); <paramref name="everyQuestion"/> false marks
    /// the asked question only (for comparisons). <paramref name="tasks"/> defaults to the template tasks' retrieval ones.
    /// </summary>
    public static List<MarkedSample> Mark(LlamaForCausalLM model, ITextTokenizer tokenizer, PruningSchedule schedule, int count,
        int minLength, int maxLength, Func<long[], bool[], MarkedSample>? mark = null, Action<int, int>? progress = null,
        bool everyQuestion = true, IReadOnlyList<IEvalTask>? tasks = null)
    {
        mark ??= (ids, targets) => SaliencyMarker.MarkSample(model, schedule, ids, targets);
        tasks ??= EvaluationSuite.Templates.TrainingRetrieval();
        if (tasks.Any(t => t is RulerTask { Split: TemplateSplit.HeldOut }))
            throw new ArgumentException("held-out tasks are for evaluation only: mark training-phrasing tasks", nameof(tasks));
        var samples = new List<MarkedSample>(count);
        for (int i = 0; i < count; i++)
        {
            var task = tasks[i % tasks.Count];
            int length = minLength + (int)((maxLength - minLength) * ((i * 0.618034) % 1.0));
            double depth = (i * 0.381966 + 0.05) % 1.0;
            var sample = TaskSuite.TrainingSample(task, length, depth, i);
            var asked = MarkQuery(sample.Prompt, sample.Answer);
            samples.Add(!everyQuestion || sample.OtherQueries.Count == 0 ? asked
                : QueryMarginalSaliency.Combine(asked, sample.OtherQueries.Select(q => MarkQuery(q.Prompt, q.Answer))));
            progress?.Invoke(i + 1, count);
        }
        return samples;

        MarkedSample MarkQuery(string promptText, string answerText)
        {
            var prompt = tokenizer.Encode(promptText, addBos: true);
            var answer = tokenizer.Encode(answerText);
            var ids = prompt.Concat(answer).Select(t => (long)t).ToArray();
            return mark(ids, ids.Select((_, k) => k >= prompt.Count).ToArray());
        }
    }

    /// <summary>
    /// Marks a user's data (<see cref="MarkingData"/>): every record is encoded and checked first, so a bad line fails
    /// before minutes of marking; then each is marked on its own targets.
    /// </summary>
    public static List<MarkedSample> MarkData(LlamaForCausalLM model, ITextTokenizer tokenizer, PruningSchedule schedule,
        IReadOnlyList<MarkingRecord> records, string path, Func<long[], bool[], MarkedSample>? mark = null, Action<int, int>? progress = null)
    {
        mark ??= (ids, targets) => SaliencyMarker.MarkSample(model, schedule, ids, targets);
        var encoded = records.Select(r => MarkingData.Encode(r, tokenizer, model.Config.MaxPositionEmbeddings, path)).ToList();
        var samples = new List<MarkedSample>(encoded.Count);
        foreach (var (ids, targets) in encoded)
        {
            samples.Add(mark(ids, targets));
            progress?.Invoke(samples.Count, encoded.Count);
        }
        return samples;
    }

    /// <summary>Writes <paramref name="samples"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, IEnumerable<MarkedSample> samples) =>
        AtomicFile.WriteText(path, string.Join("\n", samples.Select(s => JsonSerializer.Serialize(new Line(s.Ids, s.Targets, s.Saliency)))) + "\n");

    /// <summary>Reads samples written by <see cref="Save"/>; a bad line is reported with its number.</summary>
    public static List<MarkedSample> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: marked samples file not found (run 'sdtp mark' first)", path);
        var samples = new List<MarkedSample>();
        foreach (var (number, text) in Utf8Lines.Read(path))
        {
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                var line = JsonSerializer.Deserialize<Line>(text) ?? throw new JsonException("empty line");
                samples.Add(new MarkedSample(line.Ids, line.Targets, line.Saliency));
            }
            catch (Exception e) when (e is JsonException or ArgumentException or NullReferenceException)
            {
                var message = e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "") : e.Message;
                throw new InvalidDataException($"{path}: line {number}: {message}");
            }
        }
        return samples;
    }
}
