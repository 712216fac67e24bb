using System.Text;
using Sdtp.Evaluation.Tasks;
using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Tokenization;
using static TorchSharp.torch;

/// <summary>
/// Where SDTP loses the answers the dense model gets right: for each such sample, whether every token of every
/// expected value survived the last stage, and if not, the first stage that dropped one and how much of the value was
/// left. Separates heads that drop needles (a ranking failure) from heads that keep them and lose something else.
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
            var firstStage = new int[schedule.Stages.Count];
            for (int i = 0; i < samplesPerTask; i++)
            {
                using var scope = NewDisposeScope();
                var sample = TaskSuite.ValidationSample(task, 1024, (i + 0.5) / samplesPerTask, 300 + i);
                if (!Answers.ExactMatch(model, tokenizer, sample)) continue;
                denseRight++;
                PruningReport? report = null;
                var prefill = SdtpPrefill.For(schedule, new SaliencyHeadScorer(heads), new PrefillOptions { RecordKeptPositions = true }, r => report = r);
                if (Answers.ExactMatch(model, tokenizer, sample, prefill)) continue;
                sdtpWrong++;
                // The first stage after which some expected value's tokens are missing, and whether none of it is left.
                int lostAt = -1;
                bool wholeDropped = false;
                foreach (var value in sample.Expected)
                {
                    var span = TokenSpan(tokenizer, sample.Prompt, value);
                    for (int s = 0; s < report!.Stages.Count; s++)
                    {
                        var kept = report.Stages[s].KeptPositions[0].ToHashSet();
                        int left = span.Count(kept.Contains);
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
                $"a value cut {sdtpWrong - valueIntact}, of them dropped entirely {wholeValueDropped}; first cut at stage [{string.Join(' ', firstStage)}]);");
        }
        return line.ToString();
    }

    // Positions of the tokens of the value's first occurrence in the prompt (the needle; values are not repeated).
    private static List<long> TokenSpan(ITextTokenizer tokenizer, string prompt, string value)
    {
        int at = prompt.IndexOf(value, StringComparison.Ordinal);
        int start = tokenizer.Encode(prompt[..at], addBos: true).Count, length = tokenizer.Encode(prompt[..(at + value.Length)], addBos: true).Count - start;
        return Enumerable.Range(start, length).Select(p => (long)p).ToList();
    }
}
