using System.Text;
using Sdtp.Evaluation.Tasks;
using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Tokenization;
using static TorchSharp.torch;

/// <summary>
/// Where SDTP loses the answers the dense model gets right: for each such sample, whether every token of every
/// expected value survived the last stage, and if not, the first stage that dropped one and how much of the value was
/// left; and how much of the needles' other words (keys, ordinals, the words an induction copy starts from) survived,
/// in the samples SDTP got wrong and in those it got right. Separates heads that drop values from heads that keep the
/// values and drop what tells them apart.
/// </summary>
internal static class ValueLoss
{
    public static string Describe(LlamaForCausalLM model, ITextTokenizer tokenizer, PruningSchedule schedule, SaliencyHeads heads,
        IEnumerable<IEvalTask> tasks, int samplesPerTask)
    {
        var line = new StringBuilder(" where lost (1024 tokens, validation 300+):");
        foreach (var task in tasks)
        {
            int denseRight = 0, sdtpWrong = 0, valueIntact = 0, wholeValueDropped = 0;
            var needleKept = new Dictionary<bool, List<double>> { [true] = [], [false] = [] }; // by whether SDTP was right
            var firstStage = new int[schedule.Stages.Count];
            for (int i = 0; i < samplesPerTask; i++)
            {
                using var scope = NewDisposeScope();
                var sample = TaskSuite.ValidationSample(task, 1024, (i + 0.5) / samplesPerTask, 300 + i);
                if (!Answers.ExactMatch(model, tokenizer, sample)) continue;
                denseRight++;
                PruningReport? report = null;
                var prefill = SdtpPrefill.For(schedule, new SaliencyHeadScorer(heads), new PrefillOptions { RecordKeptPositions = true }, r => report = r);
                bool right = Answers.ExactMatch(model, tokenizer, sample, prefill);
                var keptByStage = report!.Stages.Select(st => st.KeptPositions[0].ToHashSet()).ToList();
                var valueSpans = Values(sample).Select(v => TokenSpan(tokenizer, sample.Prompt, v)).ToList();
                var valuePositions = valueSpans.SelectMany(p => p).ToHashSet();
                var needleWords = sample.NeedleOffsets.SelectMany(o => NeedleWords(tokenizer, sample.Prompt, o, valuePositions)).ToList();
                if (needleWords.Count > 0) needleKept[right].Add((double)needleWords.Count(keptByStage[^1].Contains) / needleWords.Count);
                if (right) continue;
                sdtpWrong++;
                // The first stage after which some expected value's tokens are missing, and whether none of it is left.
                int lostAt = -1;
                bool wholeDropped = false;
                foreach (var span in valueSpans)
                {
                    for (int s = 0; s < keptByStage.Count; s++)
                    {
                        int left = span.Count(keptByStage[s].Contains);
                        if (left == span.Count) continue;
                        if (lostAt < 0 || s < lostAt) (lostAt, wholeDropped) = (s, left == 0);
                        break;
                    }
                }
                if (lostAt < 0) valueIntact++;
                else
                {
                    firstStage[lostAt]++;
                    if (wholeDropped) wholeValueDropped++;
                }
            }
            line.Append($" {task.Name}: dense right {denseRight}, sdtp wrong {sdtpWrong} (values kept whole {valueIntact}; " +
                $"a value cut {sdtpWrong - valueIntact}, of them dropped entirely {wholeValueDropped}; first cut at stage [{string.Join(' ', firstStage)}]; " +
                $"needle words other than values kept at the last stage: {Mean(needleKept[false])} where SDTP was wrong, {Mean(needleKept[true])} where right);");
        }
        return line.ToString();
    }

    // The RULER-like families list their values; a template task's answer is its values, space-separated.
    private static IReadOnlyList<string> Values(TaskSample sample) =>
        sample.Expected.Count > 0 ? sample.Expected : sample.Answer.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static string Mean(List<double> shares) => shares.Count == 0 ? "-" : $"{shares.Average():F2}";

    // Positions of the needle sentence at character offset start (to its first '.' or '!'; values hold neither), values excluded.
    private static IEnumerable<long> NeedleWords(ITextTokenizer tokenizer, string prompt, int start, HashSet<long> valuePositions)
    {
        int end = prompt.IndexOfAny(['.', '!'], start);
        if (end < 0) yield break;
        int from = tokenizer.Encode(prompt[..start], addBos: true).Count, to = tokenizer.Encode(prompt[..end], addBos: true).Count;
        for (long p = from; p < to; p++)
            if (!valuePositions.Contains(p)) yield return p;
    }

    // Positions of the tokens of the value's first occurrence in the prompt (the needle; values are not repeated).
    private static List<long> TokenSpan(ITextTokenizer tokenizer, string prompt, string value)
    {
        int at = prompt.IndexOf(value, StringComparison.Ordinal);
        int start = tokenizer.Encode(prompt[..at], addBos: true).Count, length = tokenizer.Encode(prompt[..(at + value.Length)], addBos: true).Count - start;
        return Enumerable.Range(start, length).Select(p => (long)p).ToList();
    }
}
