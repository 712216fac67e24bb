using System.CommandLine;
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
        var command = new Command("train-heads", "Stage 2: train the saliency heads with the ranking, MSE, budget and LM losses.")
        {
            model, marked, steps, seed, output, checkpoint,
        };
        command.SetAction(parse =>
        {
            using var session = ModelSession.Open(parse.GetValue(model), loadHeads: false);
            var samples = MarkedSampleStore.Load(parse.GetValue(marked)!);
            var path = parse.GetValue(output) ?? session.HeadsPath;
            var losses = Run(session, samples, new HeadTrainerOptions { Steps = parse.GetValue(steps), Seed = parse.GetValue(seed), CheckpointDirectory = parse.GetValue(checkpoint) }, path);
            AnsiConsole.MarkupLineInterpolated($"heads -> [bold]{path}[/]; rank loss {losses.Take(20).Average(l => l.Rank):F3} -> {losses.TakeLast(20).Average(l => l.Rank):F3}");
            return 0;
        });
        return command;
    }

    public static IReadOnlyList<LossTerms> Run(ModelSession session, IReadOnlyList<MarkedSample> samples, HeadTrainerOptions options, string headsPath)
    {
        using var trainer = session.Model is TinyLlama tiny
            ? HeadTrainer.For(tiny, options)
            : new HeadTrainer(session.Model, session.Schedule, session.Heads, options);
        if (trainer.TryResume()) AnsiConsole.MarkupLineInterpolated($"resumed at step {trainer.StepsDone}");
        var losses = Progress.Run($"training heads ({options.Steps} steps)", options.Steps, tick => trainer.Train(samples, p => tick(p.Step)));
        session.Heads.Save(headsPath, session.Schedule);
        return losses;
    }
}
