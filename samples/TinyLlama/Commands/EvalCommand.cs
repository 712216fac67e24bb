using System.CommandLine;
using Sdtp.Checkpoints;
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
        var source = new ModelOptions(withHeads: true);
        var output = CommonOptions.Out("sdtp-out", "folder for report.json, report.md and the plots");
        var suite = CommonOptions.Suite("Templates: the passkey/multikey/multivalue/lm tasks at 512 and 1024 tokens; Ruler: the RULER-like families on held-out phrasings at 1024 and 2048 tokens, ten depths, plus the training phrasings for dense and sdtp");
        var samples = new Option<int?>("--samples") { Description = "samples per task, length and depth (Templates: 4; Ruler: 10, so 100 per family and length)" };
        var baselineSamples = new Option<int?>("--baseline-samples") { Description = "Ruler: samples per depth for the baselines (default: as many as --samples)" };
        var baselines = new Option<string>("--baselines") { Description = $"policies besides dense and sdtp, comma-separated ({string.Join(", ", EvaluationSettings.BaselineNames)}), or none", DefaultValueFactory = _ => string.Join(',', EvaluationSettings.BaselineNames) };
        var lengths = new Option<int[]?>("--lengths") { Description = "prompt lengths scored (Templates: 512 1024; Ruler: 1024 2048)", AllowMultipleArgumentsPerToken = true };
        var latencyLengths = new Option<int[]>("--latency-lengths") { Description = "prompt lengths timed", DefaultValueFactory = _ => [1024, 2048, 4096], AllowMultipleArgumentsPerToken = true };
        var repeats = new Option<int>("--repeats") { Description = "timed runs per prefill (median)", DefaultValueFactory = _ => 5 };
        var command = new Command("eval", "Evaluate SDTP against dense, oracle, random, window and attention at the same keep budget.")
        {
            output, suite, samples, baselineSamples, baselines, lengths, latencyLengths, repeats,
        };
        source.AddTo(command);
        command.SetAction(parse =>
        {
            var settings = Settings(parse.GetValue(suite), parse.GetValue(samples), parse.GetValue(baselineSamples), parse.GetValue(lengths)) with
            {
                LatencyLengths = parse.GetValue(latencyLengths)!,
                Repeats = parse.GetValue(repeats),
                Baselines = Baselines(parse.GetValue(baselines)!),
            };
            CommonOptions.RequireAtLeastOne("--samples", settings.Grid.SamplesPerCell);
            if (settings.Grid.BaselineSamplesPerCell is int b) CommonOptions.RequireAtLeastOne("--baseline-samples", b);
            OutputChecks.WritableDirectory("--out", parse.GetValue(output)!);
            using var session = source.Open(parse, loadHeads: true);
            settings.Validate(session.Model.Config, Path.Combine(session.Directory, "config.json"));
            settings.CheckTasksFit();
            var report = Run(session, settings, parse.GetValue(output)!);
            ResultsTable.Print(report);
            return 0;
        });
        return command;
    }

    /// <summary>The baseline policy names of <c>--baselines</c>, each checked.</summary>
    public static IReadOnlyList<string> Baselines(string list)
    {
        if (list.Trim() == "none") return [];
        var names = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var name in names)
            if (!EvaluationSettings.BaselineNames.Contains(name))
                throw new ArgumentException($"--baselines: unknown policy '{name}'; known: {string.Join(", ", EvaluationSettings.BaselineNames)}, or none");
        return names;
    }

    /// <summary>The settings of a suite, with the grid's counts and lengths where given.</summary>
    public static EvaluationSettings Settings(EvaluationSuite suite, int? samples, int? baselineSamples, int[]? lengths)
    {
        if (suite == EvaluationSuite.Ruler)
            return EvaluationSettings.Ruler(samples ?? 10, baselineSamples, inDistributionPerCell: Math.Min(5, samples ?? 10), lengths: lengths);
        var defaults = new EvaluationSettings();
        return defaults with
        {
            Grid = defaults.Grid with { SamplesPerCell = samples ?? 4, Lengths = lengths ?? defaults.Grid.Lengths, BaselineSamplesPerCell = baselineSamples },
        };
    }

    public static EvaluationReport Run(ModelSession session, EvaluationSettings settings, string outDirectory)
    {
        Directory.CreateDirectory(outDirectory);
        var runner = new EvaluationRunner(session.Model, session.Tokenizer, session.Schedule, session.Heads,
            session.Directory == ModelSession.DefaultModelDirectory ? "embedded default (samples/TinyLlama/model)" : session.Directory);
        AnsiConsole.MarkupLine("evaluating (accuracy, sweep, heads, latency, decode, memory) ...");
        var report = Progress.RunParts(report => runner.Run(settings, p => report(p.Part, p.Done, p.Total)));
        AtomicFile.WriteText(Path.Combine(outDirectory, "report.json"), report.ToJson());
        AtomicFile.WriteText(Path.Combine(outDirectory, "report.md"), MarkdownWriter.Write(report));
        PlotWriter.Latency(report, Path.Combine(outDirectory, "latency.png"));
        PlotWriter.Sweep(report, Path.Combine(outDirectory, "sweep.png"));
        var firstRetrieval = settings.Grid.Tasks.Select(TaskSuite.ByName).First(t => t.IsRetrieval);
        WriteHeatmap(session, firstRetrieval, settings.Grid.Lengths.Min(), Path.Combine(outDirectory, "heatmap.png"));
        AnsiConsole.MarkupLineInterpolated($"wrote report.json, report.md, latency.png, sweep.png, heatmap.png to [bold]{outDirectory}[/]");
        return report;
    }

    private static void WriteHeatmap(ModelSession session, IEvalTask task, int length, string path)
    {
        var sample = TaskSuite.EvaluationSample(task, length, 0.4, 0);
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
            $"{task.Name} at depth 0.4, {prompt.Count} tokens: saliency (colour) of the tokens each stage received", path);
    }
}
