using System.CommandLine;
using System.Globalization;
using Sdtp.Checkpoints;
using Sdtp.Evaluation;
using Sdtp.Evaluation.Policies;
using Sdtp.Evaluation.Reporting;
using Sdtp.Evaluation.Tasks;
using Sdtp.Pruning;
using Sdtp.Training;
using Spectre.Console;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary>
/// <c>sdtp seeds</c>: trains one head set per seed with the same recipe, each alone (no candidates, no averaging),
/// and scores dense and every seed on the same evaluation samples: the spread a trained result should be reported
/// with. Writes each seed's heads, <c>seeds.json</c> and <c>seeds.md</c> to --out; nothing is chosen from it.
/// </summary>
internal static class SeedsCommand
{
    public static Command Create()
    {
        var source = new ModelOptions(withHeads: false);
        var output = CommonOptions.Out("sdtp-out/seeds", "folder for each seed's heads, seeds.json and seeds.md");
        var seeds = new Option<string>("--seeds") { Description = "comma-separated head-training seeds", DefaultValueFactory = _ => "0,1,2,3,4" };
        var steps = new Option<int>("--steps") { Description = "head-training steps per seed", DefaultValueFactory = _ => 1200 };
        var markSamples = new Option<int>("--mark-samples") { Description = "samples to mark (once, shared by every seed)", DefaultValueFactory = _ => 250 };
        var marked = new Option<string?>("--marked") { Description = "marked samples to train on instead of marking (from 'sdtp mark')" };
        var suite = CommonOptions.Suite("Ruler (default here): mark on training phrasings, score held-out ones; Templates: the template tasks", EvaluationSuite.Ruler);
        var samples = new Option<int?>("--samples") { Description = "evaluation samples per task, length and depth (default 5: 50 per family and length for the Ruler suite)" };
        var lengths = new Option<int[]?>("--lengths") { Description = "prompt lengths scored (the suite's by default)", AllowMultipleArgumentsPerToken = true };
        var targets = TrainHeadsCommand.TargetsOption();
        var command = new Command("seeds", "Train heads from several seeds, each alone, and report every seed's accuracy, the median and the worst.")
        {
            output, seeds, steps, markSamples, marked, suite, samples, lengths, targets,
        };
        source.AddTo(command);
        command.SetAction(parse =>
        {
            var seedList = ParseSeeds(parse.GetValue(seeds)!);
            CommonOptions.RequireAtLeastOne("--steps", parse.GetValue(steps));
            CommonOptions.RequireAtLeastOne("--mark-samples", parse.GetValue(markSamples));
            var chosen = parse.GetValue(suite);
            var settings = EvalCommand.Settings(chosen, parse.GetValue(samples) ?? 5, null, parse.GetValue(lengths)) with { LatencyLengths = [] }; // nothing is timed
            CommonOptions.RequireAtLeastOne("--samples", settings.Grid.SamplesPerCell);
            var grid = settings.Grid with { Tasks = settings.Grid.Tasks.Where(t => TaskSuite.ByName(t).IsRetrieval).ToList() };
            var outDirectory = parse.GetValue(output)!;
            OutputChecks.WritableDirectory("--out", outDirectory);
            using var session = source.Open(parse, loadHeads: false);
            settings.Validate(session.Model.Config, Path.Combine(session.Directory, "config.json"));
            settings.CheckTasksFit();
            var markedPath = parse.GetValue(marked);
            var training = markedPath is null ? MarkCommand.Run(session, parse.GetValue(markSamples), chosen.ShortestMarkedLength(), 1024, chosen) : MarkedSampleStore.Load(markedPath);
            var rows = Run(session, training, seedList, parse.GetValue(steps), grid, outDirectory, parse.GetValue(targets), chosen);
            AtomicFile.WriteText(Path.Combine(outDirectory, "seeds.json"), SeedSpread.ToJson(rows));
            AtomicFile.WriteText(Path.Combine(outDirectory, "seeds.md"), SeedSpread.ToMarkdown(rows,
                $"Heads from {seedList.Count} seeds, each alone ({parse.GetValue(steps)} steps), on {string.Join(", ", grid.Lengths)} tokens"));
            foreach (var row in rows)
                AnsiConsole.MarkupLineInterpolated($"{row.Task}: dense {row.Dense.Accuracy:F3}; seeds {string.Join(", ", row.Seeds.Select(s => $"{s.Key} {s.Value.Retention:F2}"))}; median {row.MedianRetention:F3}, worst {row.WorstRetention:F3}");
            AnsiConsole.MarkupLineInterpolated($"wrote seeds.json, seeds.md and each seed's heads to [bold]{outDirectory}[/]");
            return 0;
        });
        return command;
    }

    /// <summary>The seeds of <c>--seeds</c>, distinct, each checked.</summary>
    public static IReadOnlyList<int> ParseSeeds(string list)
    {
        var seeds = new List<int>();
        foreach (var part in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed))
                throw new ArgumentException($"--seeds: '{part}' is not an integer seed");
            if (seeds.Contains(seed)) throw new ArgumentException($"--seeds: seed {seed} is listed twice");
            seeds.Add(seed);
        }
        if (seeds.Count == 0) throw new ArgumentException("--seeds: give at least one seed");
        return seeds;
    }

    /// <summary>Trains each seed's heads alone (saved as heads_seed_S.safetensors), then scores dense and all of them in one pass.</summary>
    public static List<SeedSpreadRow> Run(ModelSession session, IReadOnlyList<MarkedSample> marked, IReadOnlyList<int> seeds, int steps,
        AccuracyGrid grid, string outDirectory, SaliencyTargetLevel targets, EvaluationSuite suite)
    {
        var trained = new List<(int Seed, SaliencyHeads Heads)>();
        try
        {
            foreach (var seed in seeds)
            {
                var path = Path.Combine(outDirectory, $"heads_seed_{seed}.safetensors");
                TrainHeadsCommand.Run(session, marked, new HeadTrainerOptions { Steps = steps, Seed = seed }, path, targets: targets, suite: suite);
                trained.Add((seed, SaliencyHeads.Average([session.Heads]))); // a copy: the session's heads are re-drawn for the next seed
            }
            List<IPruningPolicy> policies = [new DensePolicy(), .. trained.Select(t => new SdtpPolicy(t.Heads, SeedSpread.SeedPrefix + t.Seed))];
            var evaluator = new AccuracyEvaluator(session.Model, session.Tokenizer, session.Schedule);
            int cells = grid.Tasks.Count * grid.Lengths.Count * grid.Depths.Count * grid.SamplesPerCell;
            var scores = Progress.Run($"scoring dense and {trained.Count} seeds", cells, tick => evaluator.Run(policies, grid, (done, _) => tick(done)));
            return SeedSpread.Rows(scores);
        }
        finally
        {
            foreach (var (_, heads) in trained) heads.Dispose();
        }
    }
}
