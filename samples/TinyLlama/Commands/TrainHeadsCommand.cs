using System.CommandLine;
using Sdtp.Evaluation;
using Sdtp.Pruning;
using Sdtp.Training;
using Spectre.Console;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary><c>sdtp train-heads</c>: stage 2, trains the saliency heads on marked samples, backbone frozen.</summary>
internal static class TrainHeadsCommand
{
    public static Command Create()
    {
        var source = new ModelOptions(withHeads: false);
        var marked = new Option<string>("--marked") { Description = "marked samples from 'sdtp mark'", DefaultValueFactory = _ => "sdtp-out/marked.jsonl" };
        var steps = new Option<int>("--steps") { Description = "optimizer steps", DefaultValueFactory = _ => 400 };
        var seed = new Option<int>("--seed") { Description = "seed of sample order and Gumbel noise", DefaultValueFactory = _ => 0 };
        var output = new Option<string?>("--out") { Description = "heads file to write; default: sdtp_heads.safetensors in the model directory" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "training checkpoint directory, resumed when present; default: the heads file's name + .training" };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "steps between training checkpoints (0: only at the end)", DefaultValueFactory = _ => 50 };
        var candidates = CandidatesOption(1);
        var perStep = SamplesPerStepOption(1);
        var targets = TargetsOption();
        var suite = CommonOptions.Suite("whose validation samples choose among --candidates: Templates or Ruler (training phrasings, validation seeds)");
        var command = new Command("train-heads", "Stage 2: train the saliency heads with the ranking, MSE, budget and LM losses.")
        {
            marked, steps, seed, output, checkpoint, checkpointEvery, candidates, perStep, targets, suite,
        };
        source.AddTo(command);
        command.SetAction(parse =>
        {
            CommonOptions.RequireAtLeastOne("--candidates", parse.GetValue(candidates));
            CommonOptions.RequireAtLeastOne("--samples-per-step", parse.GetValue(perStep));
            CommonOptions.RequireAtLeastOne("--steps", parse.GetValue(steps));
            CommonOptions.RequireNonNegative("--checkpoint-every", parse.GetValue(checkpointEvery));
            // A given --out is checked before the model loads; the default one (in the model directory) once it is known.
            if (parse.GetValue(output) is { } outPath) OutputChecks.WritableFile("--out", outPath);
            using var session = source.Open(parse, loadHeads: false);
            var samples = MarkedSampleStore.Load(parse.GetValue(marked)!);
            var path = parse.GetValue(output) ?? session.HeadsPath;
            if (parse.GetValue(output) is null) OutputChecks.WritableFile("--out", path);
            var checkpointDirectory = parse.GetValue(checkpoint) ?? path + ".training";
            OutputChecks.WritableDirectory("--checkpoint", checkpointDirectory);
            var options = new HeadTrainerOptions
            {
                Steps = parse.GetValue(steps), SamplesPerStep = parse.GetValue(perStep), Seed = parse.GetValue(seed),
                CheckpointDirectory = checkpointDirectory, CheckpointEvery = parse.GetValue(checkpointEvery),
            };
            var losses = Run(session, samples, options, path, parse.GetValue(candidates), targets: parse.GetValue(targets), suite: parse.GetValue(suite));
            if (losses.Count == 0)
                AnsiConsole.MarkupLineInterpolated($"heads -> [bold]{path}[/] (from the finished checkpoint in {checkpointDirectory})");
            else
                AnsiConsole.MarkupLineInterpolated($"heads -> [bold]{path}[/]; rank loss {losses.Take(20).Average(l => l.Rank):F3} -> {losses.TakeLast(20).Average(l => l.Rank):F3}");
            return 0;
        });
        return command;
    }

    public static Option<int> CandidatesOption(int defaultValue) => new("--candidates")
    {
        Description = "head sets to train from seeds seed, seed+1, ...; with more than one, keeps whichever of them or their average has the best worst-task retention on validation samples from the training split",
        DefaultValueFactory = _ => defaultValue,
    };

    public static Option<SaliencyTargetLevel> TargetsOption() => new("--targets")
    {
        Description = "what the heads learn to rank: Word (every token of a word gets its largest saliency, whitespace keeps its own), WordAndSpace (the whitespace before a word joins it), Token (each token's own saliency)",
        DefaultValueFactory = _ => SaliencyTargetLevel.Word,
    };

    /// <summary>
    /// Trains <paramref name="candidates"/> head sets (seeds <c>options.Seed + c</c>, each from its own seeded
    /// initialisation); with more than one, their average (<see cref="SaliencyHeads.Average"/>) is one more candidate.
    /// Keeps the one <see cref="HeadSelection.Score"/> ranks first on the validation samples, in
    /// <paramref name="headsPath"/> and in the session, and returns its losses (for the average, the candidates' mean).
    /// The heads learn the targets of <paramref name="targets"/> (<see cref="WordLevelSaliency"/>).
    /// </summary>
    public static IReadOnlyList<LossTerms> Run(ModelSession session, IReadOnlyList<MarkedSample> samples, HeadTrainerOptions options, string headsPath,
        int candidates = 1, SaliencyTargetLevel targets = SaliencyTargetLevel.Word, EvaluationSuite suite = EvaluationSuite.Templates)
    {
        CommonOptions.RequireAtLeastOne("--candidates", candidates);
        samples = WordLevelSaliency.Apply(samples, session.Tokenizer, targets);
        if (candidates == 1) return TrainOne(session, samples, options, headsPath);
        var validation = HeadSelection.ValidationSamples(ValidationPerTask, ValidationLengths, suite);
        var dense = Progress.Run($"dense answers on {validation.Count} validation samples", validation.Count,
            tick => HeadSelection.AccuracyByTask(session.Model, session.Tokenizer, validation, null, tick));
        var trained = new List<(SaliencyHeads Heads, IReadOnlyList<LossTerms> Losses)>();
        (double WorstRetention, double MeanAccuracy) best = (-1, -1);
        SaliencyHeads? chosen = null;
        IReadOnlyList<LossTerms> chosenLosses = [];
        void Consider(string label, SaliencyHeads heads, IReadOnlyList<LossTerms> losses)
        {
            // The reference path with these heads (equal to the generated forward, which runs the session's own heads).
            var prefill = SdtpPrefill.For(session.Schedule, new SaliencyHeadScorer(heads));
            var accuracy = Progress.Run($"validating {label}", validation.Count,
                tick => HeadSelection.AccuracyByTask(session.Model, session.Tokenizer, validation, prefill, tick));
            var score = HeadSelection.Score(accuracy, dense);
            bool better = score.CompareTo(best) > 0;
            AnsiConsole.MarkupLineInterpolated(
                $"{label}: validation {string.Join(", ", accuracy.Select(a => $"{a.Key} {a.Value:F2} (dense {dense[a.Key]:F2})"))}; worst retention {score.WorstRetention:F2}{(better ? " (best so far)" : "")}");
            if (better) (best, chosen, chosenLosses) = (score, heads, losses);
        }

        try
        {
            for (int c = 0; c < candidates; c++)
            {
                var candidate = options with
                {
                    Seed = options.Seed + c,
                    CheckpointDirectory = options.CheckpointDirectory is null ? null : Path.Combine(options.CheckpointDirectory, $"candidate_{c}"),
                };
                var losses = TrainOne(session, samples, candidate, headsPath: null);
                var copy = SaliencyHeads.Average([session.Heads]); // a copy: the session's heads are re-drawn for the next seed
                trained.Add((copy, losses));
                Consider($"candidate {c + 1}/{candidates} (seed {candidate.Seed})", copy, losses);
            }
            var average = SaliencyHeads.Average(trained.Select(t => t.Heads).ToList());
            trained.Add((average, MeanLosses(trained.Select(t => t.Losses).ToList())));
            Consider($"average of the {candidates} candidates", average, trained[^1].Losses);
            chosen!.Save(headsPath, session.Schedule);
            session.UseHeads(chosen); // disposes the heads trained in place
            return chosenLosses;
        }
        finally
        {
            foreach (var (heads, _) in trained)
                if (!ReferenceEquals(heads, chosen)) heads.Dispose();
        }
    }

    private static IReadOnlyList<LossTerms> MeanLosses(IReadOnlyList<IReadOnlyList<LossTerms>> runs) =>
        Enumerable.Range(0, runs.Min(r => r.Count)).Select(i => LossTerms.Mean(runs.Select(r => r[i]).ToList())).ToList();

    public static Option<int> SamplesPerStepOption(int defaultValue) => new("--samples-per-step")
    {
        Description = "marked samples whose gradients each optimizer step averages",
        DefaultValueFactory = _ => defaultValue,
    };

    // 100 per task: at 30, which of two head sets looked better flipped between validation and the tuning set (see the
    // docs/experiments.md); validating 300 samples takes about 13 s here.
    private const int ValidationPerTask = 100;
    private static readonly int[] ValidationLengths = [512, 1024];

    private static IReadOnlyList<LossTerms> TrainOne(ModelSession session, IReadOnlyList<MarkedSample> samples, HeadTrainerOptions options, string? headsPath)
    {
        if (session.Heads.InnerSize != SaliencyHead.DefaultInnerSize(session.Model.Config.HiddenSize))
            session.UseHeads(new SaliencyHeads(session.Schedule, session.Model.Config.HiddenSize, session.Model.Device, session.Model.DType));
        session.Heads.ResetParameters(options.Seed);
        using var trainer = session.Generated is { } generated
            ? HeadTrainer.For(generated, options)
            : new HeadTrainer(session.Model, session.Schedule, session.Heads, options);
        if (trainer.TryResume())
        {
            if (trainer.Finished)
                AnsiConsole.MarkupLineInterpolated($"the checkpoint in {options.CheckpointDirectory} already holds all {options.Steps} steps: training is finished");
            else
                AnsiConsole.MarkupLineInterpolated($"resumed at step {trainer.StepsDone} of {options.Steps} from {options.CheckpointDirectory}");
        }
        var losses = Progress.Run($"training heads, seed {options.Seed} ({options.Steps} steps)", options.Steps, tick => trainer.Train(samples, p => tick(p.Step)));
        if (headsPath is not null) session.Heads.Save(headsPath, session.Schedule);
        return losses;
    }
}
