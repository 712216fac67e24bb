using System.CommandLine;
using Sdtp.Evaluation;
using Sdtp.Evaluation.Reporting;
using Sdtp.Evaluation.Tasks;
using Sdtp.Pruning;
using Sdtp.Training;
using Spectre.Console;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary><c>sdtp eval</c>: every policy on every task, FLOPs, latency, memory; report.json, report.md and plots.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var output = CommonOptions.Out("sdtp-out", "folder for report.json, report.md and the plots");
        var samples = new Option<int>("--samples") { Description = "samples per task, length and depth", DefaultValueFactory = _ => 4 };
        var lengths = new Option<int[]>("--lengths") { Description = "prompt lengths scored", DefaultValueFactory = _ => [512, 1024], AllowMultipleArgumentsPerToken = true };
        var latencyLengths = new Option<int[]>("--latency-lengths") { Description = "prompt lengths timed", DefaultValueFactory = _ => [1024, 2048, 4096], AllowMultipleArgumentsPerToken = true };
        var repeats = new Option<int>("--repeats") { Description = "timed runs per prefill (median)", DefaultValueFactory = _ => 5 };
        var command = new Command("eval", "Evaluate SDTP against dense, oracle, random, window and attention at the same keep budget.")
        {
            model, output, samples, lengths, latencyLengths, repeats,
        };
        command.SetAction(parse =>
        {
            using var session = ModelSession.Open(parse.GetValue(model), loadHeads: true);
            var settings = new EvaluationSettings
            {
                Grid = new EvaluationSettings().Grid with { SamplesPerCell = parse.GetValue(samples), Lengths = parse.GetValue(lengths)! },
                LatencyLengths = parse.GetValue(latencyLengths)!,
                Repeats = parse.GetValue(repeats),
            };
            var report = Run(session, settings, parse.GetValue(output)!);
            ResultsTable.Print(report);
            return 0;
        });
        return command;
    }

    public static EvaluationReport Run(ModelSession session, EvaluationSettings settings, string outDirectory)
    {
        Directory.CreateDirectory(outDirectory);
        var runner = new EvaluationRunner(session.Model, session.Tokenizer, session.Schedule, session.Heads,
            session.Directory == ModelSession.DefaultModelDirectory ? "embedded default (samples/TinyLlama/model)" : session.Directory,
            session.SdtpPrefill());
        AnsiConsole.MarkupLine("evaluating (accuracy, sweep, heads, latency, decode, memory) ...");
        var report = Progress.RunParts(report => runner.Run(settings, p => report(p.Part, p.Done, p.Total)));
        File.WriteAllText(Path.Combine(outDirectory, "report.json"), report.ToJson());
        File.WriteAllText(Path.Combine(outDirectory, "report.md"), MarkdownWriter.Write(report));
        PlotWriter.Latency(report, Path.Combine(outDirectory, "latency.png"));
        PlotWriter.Sweep(report, Path.Combine(outDirectory, "sweep.png"));
        WriteHeatmap(session, settings.Grid.Lengths.Min(), Path.Combine(outDirectory, "heatmap.png"));
        AnsiConsole.MarkupLineInterpolated($"wrote report.json, report.md, latency.png, sweep.png, heatmap.png to [bold]{outDirectory}[/]");
        return report;
    }

    private static void WriteHeatmap(ModelSession session, int length, string path)
    {
        var sample = TaskSuite.EvaluationSample(new PasskeyTask(), length, 0.4, 0);
        var prompt = session.Tokenizer.Encode(sample.Prompt, addBos: true);
        var answer = session.Tokenizer.Encode(sample.Answer);
        var ids = prompt.Concat(answer).Select(t => (long)t).ToArray();
        var marked = SaliencyMarker.MarkSample(session.Model, session.Schedule, ids, ids.Select((_, i) => i >= prompt.Count).ToArray());
        using var idTensor = TorchSharp.torch.tensor(prompt.Select(t => (long)t).ToArray(), device: session.Model.Device).unsqueeze(0);
        var result = PrunedPrefill.Run(session.Model, session.Schedule, new SaliencyHeadScorer(session.Heads), idTensor,
            options: new PrefillOptions { RecordKeptPositions = true });
        result.LastLogits.Dispose();
        PlotWriter.Heatmap(marked.Saliency.Select(s => s.Take(prompt.Count).ToArray()).ToList(),
            result.Report.Stages.Select(s => s.KeptPositions[0]).ToList(),
            session.Schedule.Stages.Select(s => s.Layer).ToList(),
            $"passkey at depth 0.4, {prompt.Count} tokens: saliency (colour) of the tokens each stage received", path);
    }
}
