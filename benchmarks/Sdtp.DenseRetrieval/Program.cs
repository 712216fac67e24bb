using Sdtp.Checkpoints;
using Sdtp.Evaluation.Tasks;
using Sdtp.Evaluation.Tasks.Ruler;
using Sdtp.Tokenization;

// Dense retrieval of a byte-level checkpoint while it trains (a base model has no heads yet, so `sdtp eval` cannot run):
// the right answers of the first N evaluation samples of each RULER-like family, depths spread over 0.05-0.95, scored
// as eval scores them (Answers.ExactMatch).
//   dotnet run -c Release --project benchmarks/Sdtp.DenseRetrieval -- MODEL_DIR LENGTH HeldOut|Training|Development|Templates|Bridges N [INGREDIENT] [--failures] [--loss]
// Development asks in the development phrasings (TemplateSplit.Development: in neither the training nor the held-out
// split) with training words and prose, on the validation stream: what comparing training recipes reads, so that no
// choice of recipe reads a held-out phrasing or an evaluation sample.
// Templates scores the template tasks (passkey, multikey, multivalue: one phrasing each) instead, on their evaluation
// stream: what a model trained on them could do, and what later training kept of it.
// INGREDIENT (intros, needles, questions, words or prose) scores the training phrasings with that one ingredient
// held out: which of them a model fails on. --failures also sorts each family's wrong answers by what their first item
// is (an expected value with the rest missing, another key's value, other text of the prompt, or nothing in the prompt:
// a mis-copied or invented value), counts those that write an expected item twice, and prints them after their question.
// Bridges scores the single needle and multi-key (2-4 keys) on N validation samples in the training bridges' forms
// (TrainingBridge): as evaluated, every cue restated, every needle adjacent; whether a model learnt a bridge at all;
// then N key-drill tables (KeyValueDrillTask), by the kind of question (DrillQuestion); --failures prints the drill's
// wrong answers with their question.
// --loss also prints each family's mean next-token loss of the right answer after its prompt (teacher-forced, nats
// per answer token): a measure that moves before exact match does, with less noise on the same samples; and that loss
// split into the first token of each answer item (where the model chooses which value to write) and the other tokens.
bool showFailures = args.Contains("--failures");
bool showLoss = args.Contains("--loss");
var positional = args.Where(a => a is not ("--failures" or "--loss")).ToArray();
if (positional.Length == 4 && positional[2] == "Bridges" && int.TryParse(positional[1], out int bridgeLength) && int.TryParse(positional[3], out int bridgeCount))
    return ScoreBridges(positional[0], bridgeLength, bridgeCount, showFailures);
bool templates = positional.Length > 2 && positional[2] == "Templates";
var split = TemplateSplit.Training;
if (positional.Length is not (4 or 5) || !int.TryParse(positional[1], out int length) || !(templates || Enum.TryParse(positional[2], out split)) || !int.TryParse(positional[3], out int count) || count < 1 || (templates || split == TemplateSplit.Development) && positional.Length == 5)
{
    Console.Error.WriteLine("usage: Sdtp.DenseRetrieval MODEL_DIR LENGTH HeldOut|Training|Development|Templates|Bridges N [intros|needles|questions|words|prose] [--failures] [--loss]");
    return 2;
}
bool development = split == TemplateSplit.Development && !templates;
SampleSources? sources = positional.Length == 5 ? SampleSources.HoldingOut(positional[4]) : development ? SampleSources.Development : null;
IEnumerable<IEvalTask> tasks = templates ? TaskSuite.All : RulerSuite.Families(sources is null ? split : TemplateSplit.Training, sources: sources);
using var model = HuggingFaceCheckpoint.Load(positional[0], TorchSharp.torch.CPU);
model.eval();
var tokenizer = new ByteTokenizer();
foreach (var task in tasks.Where(t => t.IsRetrieval))
{
    int right = 0;
    double loss = 0;
    var (startLoss, startCount, restLoss, restCount) = (0.0, 0, 0.0, 0);
    var failures = new List<(string Kind, string Line)>();
    int repeating = 0;
    bool lists = false;
    for (int i = 0; i < count; i++)
    {
        double depth = 0.05 + 0.9 * i / Math.Max(1, count - 1);
        var sample = development ? TaskSuite.ValidationSample(task, length, depth, i) : TaskSuite.EvaluationSample(task, length, depth, i);
        if (showLoss)
        {
            var (mean, starts, rest) = AnswerLosses(model, tokenizer, sample);
            loss += mean;
            (startLoss, startCount, restLoss, restCount) = (startLoss + starts.Sum(), startCount + starts.Count, restLoss + rest.Sum(), restCount + rest.Count);
        }
        if (Answers.ExactMatch(model, tokenizer, sample)) { right++; continue; }
        if (!showFailures) continue;
        var output = Answers.Generate(model, tokenizer, sample);
        failures.Add((FailureKind(sample, output), $"    [{Question(sample)}] {WantAndGot(sample, output)}"));
        if (RepeatsAnItem(sample, output)) repeating++;
        lists |= sample.Expected.Count > 1;
    }
    string variant = development ? " with development phrasings" : sources is null ? "" : " with held-out " + positional[4];
    Console.WriteLine($"{task.Name}{variant} @ {length}: {right}/{count}" +
        (showLoss ? $"  answer loss {loss / count:F3} (item starts {startLoss / Math.Max(1, startCount):F3}, other tokens {restLoss / Math.Max(1, restCount):F3})" : ""));
    if (failures.Count == 0) continue;
    Console.WriteLine("  wrong answers by first item: " + string.Join(", ", failures.GroupBy(f => f.Kind).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}")) +
        (lists ? $"; writing an expected item twice: {repeating}" : ""));
    foreach (var (_, line) in failures) Console.WriteLine(line);
}
return 0;

static int ScoreBridges(string directory, int length, int count, bool showFailures)
{
    using var model = HuggingFaceCheckpoint.Load(directory, TorchSharp.torch.CPU);
    model.eval();
    var tokenizer = new ByteTokenizer();
    foreach (var (name, bridge) in new[] { ("as evaluated", TrainingBridge.None), ("cues restated", new TrainingBridge(RestatedCueShare: 1)), ("needles adjacent", new TrainingBridge(AdjacentNeedleShare: 1)) })
    {
        var line = $"{name,-16} @ {length}:";
        foreach (var task in RulerSuite.Families(TemplateSplit.Training, 4, bridge: bridge).Take(2))
        {
            int right = 0;
            for (int i = 0; i < count; i++)
            {
                using var scope = TorchSharp.torch.NewDisposeScope();
                if (Answers.ExactMatch(model, tokenizer, TaskSuite.ValidationSample(task, length, (i + 0.5) / count, i))) right++;
            }
            line += $" {task.Name} {right}/{count}";
        }
        Console.WriteLine(line);
    }
    // The drill (KeyValueDrillTask) by the kind of question: a key right before the table's separator, a key with words
    // after it, every value of a repeated key, the names of a chain.
    var drill = new KeyValueDrillTask(TemplateSplit.Training);
    var asked = new Dictionary<DrillQuestion, (int Right, int Count)>();
    var failures = new List<string>();
    for (int i = 0; i < count; i++)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var sample = TaskSuite.ValidationSample(drill, length, (i + 0.5) / count, i);
        var kind = KeyValueDrillTask.QuestionKind(sample);
        var (right, total) = asked.GetValueOrDefault(kind);
        bool correct = Answers.ExactMatch(model, tokenizer, sample);
        asked[kind] = (right + (correct ? 1 : 0), total + 1);
        if (correct || !showFailures) continue;
        var output = Answers.Generate(model, tokenizer, sample);
        failures.Add($"    {kind}, {FailureKind(sample, output)}: [{Question(sample)}] {WantAndGot(sample, output)}");
    }
    Console.WriteLine($"{"key drill",-16} @ {length}:" + string.Concat(Enum.GetValues<DrillQuestion>().Select(q => $" {q} {asked.GetValueOrDefault(q).Right}/{asked.GetValueOrDefault(q).Count}")));
    failures.ForEach(Console.WriteLine);
    return 0;
}

// Mean next-token loss of the sample's answer after its prompt, as eval scores language modelling; and the losses of
// each item's first token and of the other tokens.
static (double Mean, List<float> ItemStarts, List<float> OtherTokens) AnswerLosses(Sdtp.Modeling.LlamaForCausalLM model, ByteTokenizer tokenizer, TaskSample sample)
{
    var answer = tokenizer.Encode(sample.Answer);
    var losses = Sdtp.Evaluation.AccuracyEvaluator.ContinuationTokenLosses(model, tokenizer.Encode(sample.Prompt, addBos: true), answer);
    var starts = Sdtp.Evaluation.BaseTraining.AnswerItems.Spans(answer, tokenizer.Encode(RulerTask.ItemSeparator)).Select(s => s.Start).ToHashSet();
    return (losses.Average(), losses.Where((_, i) => starts.Contains(i)).ToList(), losses.Where((_, i) => !starts.Contains(i)).ToList());
}

// Whether a wrong answer writes one of the expected items twice ("4821, 4821, 1185"): the repetition a small model falls
// into when asked for several values.
static bool RepeatsAnItem(TaskSample sample, string output) => sample.Expected.Any(e => WholeItem(e).Matches(output).Count >= 2);

// An item as a whole word: not part of a longer word, number or UUID.
static System.Text.RegularExpressions.Regex WholeItem(string item) =>
    new($@"(?<![\w-]){System.Text.RegularExpressions.Regex.Escape(item)}(?![\w-])");

// The question a sample asks (the prompt after its context), on one line.
static string Question(TaskSample sample) => sample.Prompt[sample.QuestionStart..].Trim().ReplaceLineEndings(" ");

// A wrong answer beside the expected one, on one line.
static string WantAndGot(TaskSample sample, string output) => $"want [{sample.Answer}] got [{output.ReplaceLineEndings(" ")}]";

// What the first item of a wrong answer is: where a model that found the wrong needle, copied badly or never looked differ.
static string FailureKind(TaskSample sample, string output)
{
    var first = output.TrimStart().Split([',', ' ', '.', '!', '?', '\n'], 2)[0];
    var expected = sample.Expected.Count > 0 ? sample.Expected : [sample.Answer.Trim()];
    if (first.Length == 0) return "nothing";
    // A value run on into other characters ("4213" + "ab") still counts as that value.
    if (expected.Any(first.StartsWith)) return "expected value, rest missing";
    if (sample.OtherQueries.SelectMany(q => q.Answer.Split(',', StringSplitOptions.TrimEntries)).Any(first.StartsWith)) return "another key's value";
    return WholeItem(first).IsMatch(sample.Prompt) ? "other text of the prompt" : "not in the prompt";
}
