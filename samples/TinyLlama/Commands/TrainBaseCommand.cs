using System.CommandLine;
using System.Runtime.InteropServices;
using Sdtp.Evaluation.BaseTraining;
using Sdtp.Evaluation.Tasks.Ruler;
using Spectre.Console;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary><c>sdtp train-base</c>: trains the small default model from scratch (resumes when --out has a run in progress).</summary>
internal static class TrainBaseCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "checkpoint directory to write (resumed if it holds training state)", DefaultValueFactory = _ => "sdtp-out/base-model" };
        var minutes = new Option<double>("--minutes") { Description = "stop after this many minutes", DefaultValueFactory = _ => 60 };
        var steps = new Option<int>("--max-steps") { Description = "stop after this many steps", DefaultValueFactory = _ => 6000 };
        var seed = new Option<int>("--seed") { Description = "seed of weights and data", DefaultValueFactory = _ => 7 };
        var learningRate = new Option<double>("--lr") { Description = "AdamW learning rate (a resumed run can continue at a lower one)", DefaultValueFactory = _ => 2e-3 };
        var stageSteps = new Option<int>("--stage-steps") { Description = "most steps per curriculum stage before moving on", DefaultValueFactory = _ => 1500 };
        var startFrom = new Option<string?>("--start-from") { Description = "checkpoint directory whose weights a fresh run starts from (fine-tuning, in fp32 whatever their dtype); default: random weights" };
        var lengths = new Option<int[]>("--lengths") { Description = "curriculum stage lengths (tokens)", DefaultValueFactory = _ => [128, 256, 512, 1024], AllowMultipleArgumentsPerToken = true };
        var mixLengths = new Option<int[]>("--mix-lengths") { Description = "train each step at one of these lengths (tokens), drawn uniformly, instead of the stage's; the checks stay at the stage's length; default none", AllowMultipleArgumentsPerToken = true };
        var maxKeys = new Option<int[]>("--max-keys") { Description = "most multi-key needles at each stage (one per --lengths entry)", DefaultValueFactory = _ => [2, 3, 4, 6], AllowMultipleArgumentsPerToken = true };
        var restated = new Option<double[]>("--restated-cues") { Description = "share of single and multi-key samples at each stage (one per --lengths entry) whose question ends by restating the asked needle up to its value: a bridge to key lookup; default none", AllowMultipleArgumentsPerToken = true };
        var adjacent = new Option<double[]>("--adjacent-needles") { Description = "share of key-value samples at each stage (one per --lengths entry) whose needles put the value right after the key: a bridge to binding values to keys; default none", AllowMultipleArgumentsPerToken = true };
        var drill = new Option<double[]>("--key-drill") { Description = "share of training samples at each stage (one per --lengths entry) drawn from a key-lookup drill instead: bare tables of similar keys and their values, then questions naming keys; the checks score it too; default none", AllowMultipleArgumentsPerToken = true };
        var drillForms = new Option<DrillForm[]>("--drill-forms") { Description = "the kinds of table the key drill draws: Lookup (one value per key), AllValues (a key with several values, asked for all), Chain (names passing a value on), Continue (a list of values, asked for the ones after a named value: finding and copying long strings); default Lookup AllValues Chain", AllowMultipleArgumentsPerToken = true };
        var taskWeights = new Option<string[]>("--task-weights") { Description = "how often training draws a task, as NAME=WEIGHT (niah_single, niah_multikey, niah_multivalue, niah_multiquery, vt, lm_prose, lm); tasks not named keep their weight (2 for the multi-needle families and vt, 1 for the rest)", AllowMultipleArgumentsPerToken = true };
        var questions = new Option<int>("--multikey-questions") { Description = "most questions answered after each training context that can be asked several (multi-key, multi-query, variable tracking's distractor chain, the key drill)", DefaultValueFactory = _ => 1 };
        var pack = new Option<bool>("--pack") { Description = "fill each batch row up to the longest row with further samples instead of padding it (about half again as many answers per step for the same compute)" };
        var contextWeight = new Option<double>("--context-weight") { Description = "weight of the next-token loss on the prompt's tokens, answers weighing 1 (lower puts more of each step into answering)", DefaultValueFactory = _ => 0.1 };
        var itemStartWeight = new Option<double>("--item-start-weight") { Description = "weight of the next-token loss on the first token of each answer item (where the model chooses which value to write), other answer tokens weighing 1", DefaultValueFactory = _ => 1 };
        var avoidRepeats = new Option<double>("--avoid-repeats") { Description = "weight of an unlikelihood loss on each token that would start repeating an earlier item of a list answer (\"4821, 4821\"), an answer token weighing 1; default 0 (off)" };
        var decay = new Option<bool>("--lr-decay") { Description = "decay the learning rate linearly to zero at --max-steps" };
        var mixture = new Option<TrainingMixture>("--mixture") { Description = "training data: Templates (passkey, multikey, multivalue, grammar lm) or Ruler (the RULER-like families on training phrasings, grammar and prose haystacks, lm on both)", DefaultValueFactory = _ => TrainingMixture.Templates };
        var checkEvery = new Option<int>("--check-every") { Description = "steps between curriculum checks (each checks every retrieval task and saves)", DefaultValueFactory = _ => 50 };
        var config = new Option<string?>("--config") { Description = "config.json of the architecture a fresh run starts from (random weights); default: the embedded model's" };
        var widen = new Option<int>("--widen") { Description = "start from --start-from's model made this many times wider (hidden size, SwiGLU width, heads), computing the same logits", DefaultValueFactory = _ => 1 };
        var addLayers = new Option<int>("--add-layers") { Description = "start from --start-from's model (after any --widen) with this many more decoder layers, spread evenly between the old ones and each starting as an identity, computing the same logits" };
        var computeDType = new Option<string>("--compute-dtype") { Description = "f32 or bf16: the dtype each step computes in (bf16 runs forward and backward on a bf16 copy of the fp32 weights, faster on CPUs with AMX or AVX-512 BF16 and on GPUs; the weights, optimizer and checks stay fp32)", DefaultValueFactory = _ => "f32" };
        var command = new Command("train-base", "Train the small byte-level default model on the tasks' training splits with a length curriculum.")
        {
            output, minutes, steps, seed, stageSteps, learningRate, startFrom, lengths, mixLengths, maxKeys, restated, adjacent, drill, drillForms, taskWeights, questions, pack, contextWeight, itemStartWeight, avoidRepeats, decay, mixture, config, checkEvery, widen, addLayers, computeDType,
        };
        command.SetAction(parse =>
        {
            var stageLengths = parse.GetValue(lengths)!;
            var stageKeys = parse.GetValue(maxKeys)!;
            if (stageLengths.Length == 0 || stageLengths.Length != stageKeys.Length)
                throw new ArgumentException($"--lengths has {stageLengths.Length} stages but --max-keys has {stageKeys.Length}: give one --max-keys per length");
            if (stageKeys.Any(k => k < 2))
                throw new ArgumentException($"--max-keys must be at least 2 (got {string.Join(' ', stageKeys)})");
            var stageRestated = parse.GetValue(restated) ?? [];
            var stageAdjacent = parse.GetValue(adjacent) ?? [];
            BaseTrainingOptions.CheckStageShares("--restated-cues", stageRestated, stageLengths.Length);
            BaseTrainingOptions.CheckStageShares("--adjacent-needles", stageAdjacent, stageLengths.Length);
            var stageDrill = parse.GetValue(drill) ?? [];
            BaseTrainingOptions.CheckStageShares("--key-drill", stageDrill, stageLengths.Length);
            CommonOptions.RequireAtLeastOne("--multikey-questions", parse.GetValue(questions));
            CommonOptions.RequireAtLeastOne("--max-steps", parse.GetValue(steps));
            CommonOptions.RequireAtLeastOne("--stage-steps", parse.GetValue(stageSteps));
            var mixedLengths = parse.GetValue(mixLengths) ?? [];
            var trainedLengths = new[] { ("--lengths", stageLengths), ("--mix-lengths", mixedLengths) };
            foreach (var (name, trained) in trainedLengths)
                if (trained.Any(l => l < 16))
                    throw new ArgumentException($"{name} must be at least 16 tokens each (got {string.Join(' ', trained)})");
            CommonOptions.RequirePositive("--minutes", parse.GetValue(minutes));
            CommonOptions.RequirePositive("--lr", parse.GetValue(learningRate));
            CommonOptions.RequireAtLeastOne("--check-every", parse.GetValue(checkEvery));
            if (parse.GetValue(contextWeight) is var weight && (!double.IsFinite(weight) || weight < 0 || weight > 1))
                throw new ArgumentException($"--context-weight must be between 0 and 1 (got {weight})");
            if (parse.GetValue(itemStartWeight) is var startWeight && (!double.IsFinite(startWeight) || startWeight < 1))
                throw new ArgumentException($"--item-start-weight must be 1 or more (got {startWeight})");
            if (parse.GetValue(avoidRepeats) is var avoid && (!double.IsFinite(avoid) || avoid < 0))
                throw new ArgumentException($"--avoid-repeats must be 0 or more (got {avoid})");
            CommonOptions.RequireAtLeastOne("--widen", parse.GetValue(widen));
            bool fromCheckpoint = parse.GetValue(startFrom) is not null, givenConfig = parse.GetValue(config) is not null;
            CheckGrowth("--widen", parse.GetValue(widen) > 1, "widens", "wider", fromCheckpoint, givenConfig);
            if (parse.GetValue(addLayers) < 0)
                throw new ArgumentException($"--add-layers must be 0 or more (got {parse.GetValue(addLayers)})");
            CheckGrowth("--add-layers", parse.GetValue(addLayers) > 0, "deepens", "deeper", fromCheckpoint, givenConfig);
            var compute = CommonOptions.ParseDType(parse.GetValue(computeDType), "--compute-dtype")!.Value;
            if (compute is not (TorchSharp.torch.ScalarType.Float32 or TorchSharp.torch.ScalarType.BFloat16))
                throw new ArgumentException($"--compute-dtype must be f32 or bf16 (got {parse.GetValue(computeDType)}): f16 gradients underflow without loss scaling");
            var configPath = parse.GetValue(config);
            if (configPath is not null && !File.Exists(configPath)) throw new FileNotFoundException($"--config: {Path.GetFullPath(configPath)} not found");
            var options = new BaseTrainingOptions
            {
                MaxTime = TimeSpan.FromMinutes(parse.GetValue(minutes)),
                MaxSteps = parse.GetValue(steps),
                Seed = parse.GetValue(seed),
                MaxStepsPerStage = parse.GetValue(stageSteps),
                LearningRate = parse.GetValue(learningRate),
                StartFrom = parse.GetValue(startFrom),
                Lengths = stageLengths,
                MixedLengths = mixedLengths,
                MaxKeys = stageKeys,
                RestatedCues = stageRestated,
                AdjacentNeedles = stageAdjacent,
                KeyDrill = stageDrill,
                DrillForms = parse.GetValue(drillForms) is { Length: > 0 } forms ? forms : KeyValueDrillTask.DefaultForms,
                TaskWeights = ParseTaskWeights(parse.GetValue(taskWeights) ?? []),
                MultiKeyQuestions = parse.GetValue(questions),
                DecayLearningRate = parse.GetValue(decay),
                PackRows = parse.GetValue(pack),
                ContextLossWeight = parse.GetValue(contextWeight),
                ItemStartWeight = parse.GetValue(itemStartWeight),
                AvoidRepeatsWeight = parse.GetValue(avoidRepeats),
                Mixture = parse.GetValue(mixture),
                ComputeDType = compute,
                CheckEvery = parse.GetValue(checkEvery),
                WidenBy = parse.GetValue(widen),
                AddLayers = parse.GetValue(addLayers),
                Config = configPath is null ? null : Sdtp.Modeling.ModelConfig.Load(configPath),
            };
            var directory = parse.GetValue(output)!;
            OutputChecks.WritableDirectory("--out", directory);
            // A missing --start-from config is the trainer's error to report; a resumed run keeps its directory's architecture.
            var startConfig = options.StartFrom is { } start ? Path.Combine(start, "config.json") : null;
            var architecture = options.Config ?? (startConfig is not null && File.Exists(startConfig) ? Sdtp.Modeling.ModelConfig.Load(startConfig) : BaseModelTrainer.DefaultConfig);
            foreach (var (name, trained) in trainedLengths)
                if (trained.Length > 0 && trained.Max() * 3 / 2 > architecture.MaxPositionEmbeddings)
                    throw new ArgumentException($"{name} {trained.Max()}: training samples reach 1.5x the length ({trained.Max() * 3 / 2} tokens), " +
                        $"more than the architecture's max_position_embeddings ({architecture.MaxPositionEmbeddings})");
            AnsiConsole.MarkupLineInterpolated($"training the default model into [bold]{directory}[/] for at most {options.MaxTime.TotalMinutes:F0} min / {options.MaxSteps} steps");
            var trainer = new BaseModelTrainer(options);
            // Ctrl+C or SIGTERM ends the run after the current step, with its weights and state saved for a resume.
            using var interrupt = new CancellationTokenSource();
            void Interrupt(PosixSignalContext context)
            {
                context.Cancel = true;
                if (!interrupt.IsCancellationRequested) Console.WriteLine("interrupted: saving after this step (the next command resumes from it)");
                interrupt.Cancel();
            }
            using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
            using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
            var check = trainer.Train(directory, p =>
            {
                if (p.Check is not null || p.Step % 10 == 0)
                {
                    var checkText = p.Check is null ? "" : "  check: " + string.Join(", ", p.Check.Select(kv => $"{kv.Key} {kv.Value:F2}"));
                    Console.WriteLine($"[{p.Elapsed:hh\\:mm\\:ss}] step {p.Step,5}  stage {p.Stage} (len {p.Length,4})  loss {p.Loss:F4}{checkText}");
                }
            }, interrupt.Token);
            if (trainer.Finished)
                AnsiConsole.MarkupLineInterpolated($"{directory} is already at step {BaseModelTrainer.StepReached(directory)} of --max-steps {options.MaxSteps}: training is finished (raise --max-steps to train on)");
            else if (interrupt.IsCancellationRequested)
                AnsiConsole.MarkupLineInterpolated($"saved at step {BaseModelTrainer.StepReached(directory)} in {directory}: the same command resumes there");
            else
                AnsiConsole.MarkupLineInterpolated($"done: {string.Join(", ", check.Select(kv => $"{kv.Key} {kv.Value:F2}"))}");
            return 0;
        });
        return command;
    }

    // An option that grows --start-from's model (--widen, --add-layers) needs one to grow and derives the architecture
    // from it, so --config cannot be given beside it.
    private static void CheckGrowth(string option, bool grows, string verb, string comparative, bool fromCheckpoint, bool givenConfig)
    {
        if (grows && !fromCheckpoint)
            throw new ArgumentException($"{option} needs --start-from: it {verb} a trained model (for a {comparative} model from random weights give --config)");
        if (grows && givenConfig)
            throw new ArgumentException($"{option} and --config both set the architecture: give one ({option} derives it from --start-from's)");
    }

    // NAME=WEIGHT pairs; which names exist is the trainer's to check (it knows the mixture's tasks).
    private static Dictionary<string, double> ParseTaskWeights(string[] pairs)
    {
        var weights = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            int equals = pair.IndexOf('=');
            if (equals <= 0 || !double.TryParse(pair[(equals + 1)..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double weight))
                throw new ArgumentException($"--task-weights: '{pair}' is not NAME=WEIGHT (for example vt=4)");
            if (!weights.TryAdd(pair[..equals], weight))
                throw new ArgumentException($"--task-weights: '{pair[..equals]}' is given twice");
        }
        return weights;
    }
}
