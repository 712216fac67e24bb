using Sdtp.Checkpoints;
using Sdtp.Evaluation.Tasks;
using Sdtp.Evaluation.Tasks.Ruler;
using Sdtp.Tokenization;

// Dense retrieval of a byte-level checkpoint while it trains (a base model has no heads yet, so `sdtp eval` cannot run):
// the right answers of the first N evaluation samples of each RULER-like family, depths spread over 0.05-0.95, scored
// as eval scores them (Answers.ExactMatch).
//   dotnet run -c Release --project benchmarks/Sdtp.DenseRetrieval -- MODEL_DIR LENGTH HeldOut|Training N [INGREDIENT]
// INGREDIENT (intros, needles, questions, words or prose) scores the training phrasings with that one ingredient
// held out: which of them a model fails on.
if (args.Length is not (4 or 5) || !int.TryParse(args[1], out int length) || !Enum.TryParse<TemplateSplit>(args[2], out var split) || !int.TryParse(args[3], out int count) || count < 1)
{
    Console.Error.WriteLine("usage: Sdtp.DenseRetrieval MODEL_DIR LENGTH HeldOut|Training N [intros|needles|questions|words|prose]");
    return 2;
}
SampleSources? sources = args.Length == 5 ? SampleSources.HoldingOut(args[4]) : null;
using var model = HuggingFaceCheckpoint.Load(args[0], TorchSharp.torch.CPU);
model.eval();
var tokenizer = new ByteTokenizer();
foreach (var task in RulerSuite.Families(sources is null ? split : TemplateSplit.Training, sources: sources).Where(t => t.IsRetrieval))
{
    int right = 0;
    for (int i = 0; i < count; i++)
        if (Answers.ExactMatch(model, tokenizer, TaskSuite.EvaluationSample(task, length, 0.05 + 0.9 * i / Math.Max(1, count - 1), i))) right++;
    Console.WriteLine($"{task.Name}{(sources is null ? "" : " with held-out " + args[4])} @ {length}: {right}/{count}");
}
return 0;
