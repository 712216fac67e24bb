using Sdtp.Checkpoints;
using Sdtp.Evaluation.Tasks;
using Sdtp.Evaluation.Tasks.Ruler;
using Sdtp.Tokenization;

// Dense retrieval of a byte-level checkpoint while it trains (a base model has no heads yet, so `sdtp eval` cannot run):
// the right answers of the first N evaluation samples of each RULER-like family, depths spread over 0.05-0.95, scored
// as eval scores them (Answers.ExactMatch).
//   dotnet run -c Release --project benchmarks/Sdtp.DenseRetrieval -- MODEL_DIR LENGTH HeldOut|Training N
if (args.Length != 4 || !int.TryParse(args[1], out int length) || !Enum.TryParse<TemplateSplit>(args[2], out var split) || !int.TryParse(args[3], out int count) || count < 1)
{
    Console.Error.WriteLine("usage: Sdtp.DenseRetrieval MODEL_DIR LENGTH HeldOut|Training N");
    return 2;
}
using var model = HuggingFaceCheckpoint.Load(args[0], TorchSharp.torch.CPU);
model.eval();
var tokenizer = new ByteTokenizer();
foreach (var task in RulerSuite.Families(split).Where(t => t.IsRetrieval))
{
    int right = 0;
    for (int i = 0; i < count; i++)
        if (Answers.ExactMatch(model, tokenizer, TaskSuite.EvaluationSample(task, length, 0.05 + 0.9 * i / Math.Max(1, count - 1), i))) right++;
    Console.WriteLine($"{task.Name} @ {length}: {right}/{count}");
}
return 0;
