using System.CommandLine;
using Sdtp.Evaluation;
using Sdtp.Evaluation.Tasks;
using Sdtp.Training;
using Spectre.Console;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary><c>sdtp mark</c>: stage 1, saliency of every stage on training samples, written as JSON lines.</summary>
internal static class MarkCommand
{
    public static Command Create()
    {
        var source = new ModelOptions(withHeads: false);
        var output = CommonOptions.Out("sdtp-out/marked.jsonl", "marked samples file to write");
        var samples = new Option<int>("--samples") { Description = "samples to mark (ignored with --data)", DefaultValueFactory = _ => 240 };
        var data = new Option<string?>("--data") { Description = "mark your own data instead: JSON lines with \"prompt\" and \"answer\" (saliency of the answer given the prompt), or \"text\" (of the next-token loss over its last quarter)" };
        var minLength = new Option<int?>("--min-length") { Description = "shortest prompt (tokens); default 256 for Templates, 512 for Ruler" };
        var maxLength = new Option<int>("--max-length") { Description = "longest prompt (tokens)", DefaultValueFactory = _ => 1024 };
        var suite = CommonOptions.Suite("whose training-phrasing retrieval tasks to mark: Templates or Ruler");
        var command = new Command("mark", "Stage 1: mark token saliency (gradient x input of the answer) on training samples.")
        {
            output, samples, minLength, maxLength, suite, data,
        };
        source.AddTo(command);
        command.SetAction(parse =>
        {
            var dataPath = parse.GetValue(data);
            if (dataPath is not null)
                foreach (var ignored in new Option[] { samples, minLength, maxLength })
                    if (parse.GetResult(ignored) is { Implicit: false })
                        throw new ArgumentException($"{ignored.Name} applies to generated samples; with --data every line is marked as it is");
            OutputChecks.WritableFile("--out", parse.GetValue(output)!);
            var records = dataPath is null ? null : MarkingData.Load(dataPath);
            int shortest = parse.GetValue(minLength) ?? parse.GetValue(suite).ShortestMarkedLength();
            if (records is null)
            {
                CommonOptions.RequireAtLeastOne("--samples", parse.GetValue(samples));
                if (shortest < 1 || parse.GetValue(maxLength) < shortest)
                    throw new ArgumentException($"--min-length {shortest} and --max-length {parse.GetValue(maxLength)}: need 1 <= min <= max");
                foreach (var task in parse.GetValue(suite).TrainingRetrieval())
                    TaskSuite.CheckFits(task, shortest, "--min-length");
            }
            using var session = source.Open(parse, loadHeads: false);
            var marked = records is null
                ? Run(session, parse.GetValue(samples), shortest, parse.GetValue(maxLength), parse.GetValue(suite))
                : Progress.Run($"marking {records.Count} lines of {dataPath}", records.Count, tick =>
                    MarkedSampleStore.MarkData(session.Model, session.Tokenizer, session.Schedule, records, dataPath!, Marker(session), (done, _) => tick(done)));
            MarkedSampleStore.Save(parse.GetValue(output)!, marked);
            AnsiConsole.MarkupLineInterpolated($"marked {marked.Count} samples -> [bold]{parse.GetValue(output)}[/]");
            return 0;
        });
        return command;
    }

    public static List<MarkedSample> Run(ModelSession session, int count, int minLength, int maxLength, EvaluationSuite suite = EvaluationSuite.Templates) =>
        Progress.Run($"marking {count} samples", count, tick =>
            MarkedSampleStore.Mark(session.Model, session.Tokenizer, session.Schedule, count, minLength, maxLength,
                Marker(session), (done, _) => tick(done), tasks: suite.TrainingRetrieval()));

    // The annotated model marks through its generated forward; any other through the reference loop.
    private static Func<long[], bool[], MarkedSample>? Marker(ModelSession session) =>
        session.Generated is { } generated ? (ids, targets) => SaliencyMarker.MarkSample(generated, ids, targets) : null;
}
