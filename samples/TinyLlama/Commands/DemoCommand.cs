using System.CommandLine;
using System.Diagnostics;
using Sdtp.Evaluation;
using Sdtp.Training;
using Spectre.Console;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary>
/// <c>sdtp demo</c>: the whole pipeline on the embedded default model: mark -> train heads -> eval (accuracy of every
/// policy, FLOPs, latency, decode, memory) -> results table, report.json, report.md and plots in --out.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var source = new ModelOptions(withHeads: false);
        var output = CommonOptions.Out("sdtp-out", "folder for report.json, report.md and the plots");
        var skip = new Option<bool>("--skip-training") { Description = "use the shipped trained heads instead of marking and training" };
        var samples = new Option<int>("--mark-samples") { Description = "samples to mark for head training", DefaultValueFactory = _ => 250 };
        var steps = new Option<int>("--steps") { Description = "head training steps", DefaultValueFactory = _ => 1200 };
        var candidates = TrainHeadsCommand.CandidatesOption(2);
        var perStep = TrainHeadsCommand.SamplesPerStepOption(1);
        var targets = TrainHeadsCommand.TargetsOption();
        var suite = CommonOptions.Suite("Templates: mark, validate and evaluate on the template tasks; Ruler: mark and validate on the RULER-like families' training phrasings, evaluate on held-out ones (50 samples per family and length for dense and sdtp, 20 for the baselines and for training phrasings)");
        var command = new Command("demo", "Run the whole SDTP pipeline on the embedded default model and report.") { output, skip, samples, steps, candidates, perStep, targets, suite };
        source.AddTo(command);
        command.SetAction(parse =>
        {
            var watch = Stopwatch.StartNew();
            var chosenSuite = parse.GetValue(suite);
            // The template demo keeps its two candidates; on the RULER-like suite one seed's heads must do.
            int candidateCount = parse.GetResult(candidates) is { Implicit: false } ? parse.GetValue(candidates) : chosenSuite == EvaluationSuite.Ruler ? 1 : 2;
            CommonOptions.RequireAtLeastOne("--candidates", candidateCount);
            CommonOptions.RequireAtLeastOne("--samples-per-step", parse.GetValue(perStep));
            CommonOptions.RequireAtLeastOne("--mark-samples", parse.GetValue(samples));
            CommonOptions.RequireAtLeastOne("--steps", parse.GetValue(steps));
            var settings = chosenSuite == EvaluationSuite.Ruler
                ? EvaluationSettings.Ruler(samplesPerCell: 5, baselineSamplesPerCell: 2, inDistributionPerCell: 2)
                : new EvaluationSettings();
            var outDirectory = parse.GetValue(output)!;
            OutputChecks.WritableDirectory("--out", outDirectory);
            bool skipTraining = parse.GetValue(skip);
            using var session = source.Open(parse, loadHeads: skipTraining);
            settings.Validate(session.Model.Config, Path.Combine(session.Directory, "config.json"));
            AnsiConsole.MarkupLineInterpolated($"model: {session.Directory} ({session.Model.Config.NumHiddenLayers} layers, d={session.Model.Config.HiddenSize}); schedule {session.Schedule}");
            if (!skipTraining)
            {
                var marked = MarkCommand.Run(session, parse.GetValue(samples), chosenSuite.ShortestMarkedLength(), 1024, chosenSuite);
                MarkedSampleStore.Save(Path.Combine(outDirectory, "marked.jsonl"), marked);
                var headsPath = Path.Combine(outDirectory, "sdtp_heads.safetensors");
                TrainHeadsCommand.Run(session, marked, new HeadTrainerOptions { Steps = parse.GetValue(steps), SamplesPerStep = parse.GetValue(perStep) }, headsPath, candidateCount,
                    targets: parse.GetValue(targets), suite: chosenSuite);
            }
            var report = EvalCommand.Run(session, settings, outDirectory);
            ResultsTable.Print(report);
            AnsiConsole.MarkupLineInterpolated($"demo finished in {watch.Elapsed.TotalMinutes:F1} min");
            return 0;
        });
        return command;
    }
}
