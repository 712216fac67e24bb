using System.CommandLine;
using Sdtp.Checkpoints;
using Sdtp.Evaluation;
using Sdtp.Training;
using Spectre.Console;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary><c>sdtp train-heads</c>: stage 2, trains the saliency heads on marked samples, backbone frozen.</summary>
internal static class TrainHeadsCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var marked = new Option<string>("--marked") { Description = "marked samples from 'sdtp mark'", DefaultValueFactory = _ => "sdtp-out/marked.jsonl" };
        var steps = new Option<int>("--steps") { Description = "optimizer steps", DefaultValueFactory = _ => 400 };
        var seed = new Option<int>("--seed") { Description = "seed of sample order and Gumbel noise", DefaultValueFactory = _ => 0 };
        var output = new Option<string?>("--out") { Description = "heads file to write; default: sdtp_heads.safetensors in the model directory" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "training checkpoint directory (resumed when present)" };
        var candidates = CandidatesOption(1);
        var perStep = SamplesPerStepOption(1);
        var command = new Command("train-heads", "Stage 2: train the saliency heads with the ranking, MSE, budget and LM losses.")
        {
            model, marked, steps, seed, output, checkpoint, candidates, perStep,
        };
        command.SetAction(parse =>
        {
            CommonOptions.RequireAtLeastOne("--candidates", parse.GetValue(candidates));
            CommonOptions.RequireAtLeastOne("--samples-per-step", parse.GetValue(perStep));
            using var session = ModelSession.Open(parse.GetValue(model), loadHeads: false);
            var samples = MarkedSampleStore.Load(parse.GetValue(marked)!);
            var path = parse.GetValue(output) ?? session.HeadsPath;
            var losses = Run(session, samples, new HeadTrainerOptions { Steps = parse.GetValue(steps), SamplesPerStep = parse.GetValue(perStep), Seed = parse.GetValue(seed), CheckpointDirectory = parse.GetValue(checkpoint) },
                path, parse.GetValue(candidates));
            AnsiConsole.MarkupLineInterpolated($"heads -> [bold]{path}[/]; rank loss {losses.Take(20).Average(l => l.Rank):F3} -> {losses.TakeLast(20).Average(l => l.Rank):F3}");
            return 0;
        });
        return command;
    }

    public static Option<int> CandidatesOption(int defaultValue) => new("--candidates")
    {
        Description = "head sets to train from seeds seed, seed+1, ...; keeps the one with the best worst-task retention on validation samples from the training split",
        DefaultValueFactory = _ => defaultValue,
    };

    /// <summary>
    /// Trains <paramref name="candidates"/> head sets (seeds <c>options.Seed + c</c>, each from its own seeded
    /// initialisation), keeps the one <see cref="HeadSelection.Score"/> ranks first on the validation samples in
    /// <paramref name="headsPath"/> and in the session, and returns its losses.
    /// </summary>
    public static IReadOnlyList<LossTerms> Run(ModelSession session, IReadOnlyList<MarkedSample> samples, HeadTrainerOptions options, string headsPath,
        int candidates = 1)
    {
        CommonOptions.RequireAtLeastOne("--candidates", candidates);
        if (candidates == 1) return TrainOne(session, samples, options, headsPath);
        var validation = HeadSelection.ValidationSamples(ValidationPerTask, ValidationLengths);
        var dense = Progress.Run($"dense answers on {validation.Count} validation samples", validation.Count,
            tick => HeadSelection.AccuracyByTask(session.Model, session.Tokenizer, validation, null, tick));
        IReadOnlyList<LossTerms> bestLosses = [];
        (double WorstRetention, double MeanAccuracy) best = (-1, -1);
        for (int c = 0; c < candidates; c++)
        {
            var candidate = options with
            {
                Seed = options.Seed + c,
                CheckpointDirectory = options.CheckpointDirectory is null ? null : Path.Combine(options.CheckpointDirectory, $"candidate_{c}"),
            };
            var losses = TrainOne(session, samples, candidate, headsPath: null);
            var accuracy = Progress.Run($"validating candidate {c + 1}/{candidates}", validation.Count,
                tick => HeadSelection.AccuracyByTask(session.Model, session.Tokenizer, validation, session.SdtpPrefill(), tick));
            var score = HeadSelection.Score(accuracy, dense);
            bool better = score.CompareTo(best) > 0;
            AnsiConsole.MarkupLineInterpolated(
                $"candidate {c + 1} (seed {candidate.Seed}): validation {string.Join(", ", accuracy.Select(a => $"{a.Key} {a.Value:F2} (dense {dense[a.Key]:F2})"))}; worst retention {score.WorstRetention:F2}{(better ? " (best so far)" : "")}");
            if (better)
            {
                (best, bestLosses) = (score, losses);
                session.Heads.Save(headsPath, session.Schedule);
            }
        }
        HuggingFaceCheckpoint.LoadFile(session.Heads, headsPath);
        return bestLosses;
    }

    public static Option<int> SamplesPerStepOption(int defaultValue) => new("--samples-per-step")
    {
        Description = "marked samples whose gradients each optimizer step averages",
        DefaultValueFactory = _ => defaultValue,
    };

    private const int ValidationPerTask = 30;
    private static readonly int[] ValidationLengths = [512, 1024];

    private static IReadOnlyList<LossTerms> TrainOne(ModelSession session, IReadOnlyList<MarkedSample> samples, HeadTrainerOptions options, string? headsPath)
    {
        session.Heads.ResetParameters(options.Seed);
        using var trainer = session.Model is TinyLlama tiny
            ? HeadTrainer.For(tiny, options)
            : new HeadTrainer(session.Model, session.Schedule, session.Heads, options);
        if (trainer.TryResume()) AnsiConsole.MarkupLineInterpolated($"resumed at step {trainer.StepsDone}");
        var losses = Progress.Run($"training heads, seed {options.Seed} ({options.Steps} steps)", options.Steps, tick => trainer.Train(samples, p => tick(p.Step)));
        if (headsPath is not null) session.Heads.Save(headsPath, session.Schedule);
        return losses;
    }
}
