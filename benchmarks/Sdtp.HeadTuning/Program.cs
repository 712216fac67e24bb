using System.Diagnostics;
using System.Globalization;
using Sdtp.Checkpoints;
using Sdtp.Evaluation;
using Sdtp.Evaluation.Tasks;
using Sdtp.Pruning;
using Sdtp.Tokenization;
using Sdtp.Training;
using static TorchSharp.torch;

// The tuning harness behind the head-training experiments in docs/experiments.md: marks samples, trains one head set
// per seed with the options given (and, for several seeds, takes their average), and scores dense and SDTP on the
// VALIDATION seed stream (training phrasings), never on an evaluation sample, so nothing chosen here is tuned on what a
// report measures. Uses the reference (not generated) forward; one result line per head set goes to stdout and to --log.
// Run: dotnet run -c Release --project benchmarks/Sdtp.HeadTuning -- --seed 0
//   --model DIR   --marks N (250)   --steps N (600)   --seed S (0)   --seeds S1,S2,... (each, then their average)
//   --head-width N (d/4)   --passkey-per-cell N (2)   --validate N (0; per task: worst retention on validation samples)
//   --lr X (0.01)   --lm-weight X (1)   --rank-min X (0.1)   --spread N (0: max of each saliency over +-N neighbours)
//   --no-rescale   --no-carry   --samples-per-step N (1)   --asked-only   --subsets   --save-heads DIR   --log FILE (head-tuning.log)
//   --load-heads DIR (score DIR's heads_seed*.safetensors instead of marking and training)
//   --where-lost N (also report where SDTP lost the values of N validation samples per task at 1024 tokens)
//   --targets Token|Word|WordAndSpace (Word: what train-heads and demo use by default; see SaliencyTargetLevel)
//   --neighbour-max R (score each token by the largest head score within R tokens either side; not in --where-lost)
//   --neighbour-mix F (1: with --neighbour-max, score (1 - F) x own + F x the neighbours' largest)
//   --tail-average F (0: off; also score each seed's mean head weights over its last F of the steps)
//   --suite Templates|Ruler (Templates: mark and score the template tasks; Ruler: the RULER-like families' training phrasings)
var options = Options.Parse(args);
Sdtp.NativeAllocator.KeepFreedMemory(); // as the sdtp CLI does: training steps about 7% faster
string directory = options.Get("--model", Path.Combine(AppContext.BaseDirectory, "../../../../../samples/TinyLlama/model"));
using var model = HuggingFaceCheckpoint.Load(directory);
model.eval();
var tokenizer = TokenizerLoader.Load(directory);
var schedule = PruningSchedule.Geometric(1, 1, 7, 0.86); // the annotated TinyLlama's schedule
int marks = options.Int("--marks", 250), steps = options.Int("--steps", 600), seed = options.Int("--seed", 0), spread = options.Int("--spread", 0);
bool everyQuestion = !options.Has("--asked-only");
var suite = Enum.Parse<EvaluationSuite>(options.Get("--suite", "Templates"), ignoreCase: true);

var watch = Stopwatch.StartNew();
var marked = options.Has("--load-heads") ? [] : MarkedSampleStore.Mark(model, tokenizer, schedule, marks, 256, 1024, everyQuestion: everyQuestion, tasks: suite.TrainingRetrieval());
if (spread > 0) marked = marked.Select(m => new MarkedSample(m.Ids, m.Targets, m.Saliency.Select(s => Spread(s, spread)).ToArray())).ToList();
marked = WordLevelSaliency.Apply(marked, tokenizer, Enum.Parse<SaliencyTargetLevel>(options.Get("--targets", nameof(SaliencyTargetLevel.Word)), ignoreCase: true)).ToList();
Console.WriteLine($"marked {marked.Count} samples in {watch.Elapsed.TotalSeconds:F0} s");

// One head set per seed (--seeds 0,1,2 or --seed S), each scored alone; with several, their average too.
var seeds = options.Get("--seeds", seed.ToString(CultureInfo.InvariantCulture)).Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray();
long? headWidth = options.Has("--head-width") ? options.Int("--head-width", 0) : null;
var trained = new List<(string Label, SaliencyHeads Heads)>();
var singles = new List<(string Label, SaliencyHeads Heads)>(); // one per trained seed: what the averages combine
if (options.Has("--load-heads"))
    foreach (var file in Directory.GetFiles(options.Get("--load-heads", "."), "heads_seed*.safetensors").Order(StringComparer.Ordinal))
        trained.Add(($"{Path.GetFileNameWithoutExtension(file)} (loaded)", SaliencyHeads.Load(file, schedule, model.Config.HiddenSize)));
foreach (int s in options.Has("--load-heads") ? [] : seeds)
{
    var heads = new SaliencyHeads(schedule, model.Config.HiddenSize, innerSize: headWidth);
    heads.ResetParameters(s);
    var trainerOptions = new HeadTrainerOptions
    {
        Steps = steps,
        Seed = s,
        LearningRate = options.Double("--lr", 1e-2),
        Weights = new LossWeights(Lm: options.Double("--lm-weight", 1)),
        RankMinSaliency = options.Double("--rank-min", 0.1),
        RescaleTargets = !options.Has("--no-rescale"),
        CarryEarlierSaliency = !options.Has("--no-carry"),
        SamplesPerStep = options.Int("--samples-per-step", 1),
    };
    watch.Restart();
    // Iterate averaging: the running mean of the weights after each of the last F of the steps (Polyak-Ruppert).
    double tail = options.Double("--tail-average", 0);
    var mean = tail > 0 ? new SaliencyHeads(schedule, model.Config.HiddenSize, innerSize: headWidth) : null;
    int averaged = 0, averageFrom = (int)Math.Ceiling(steps * (1 - tail));
    void Accumulate(TrainingProgress p)
    {
        if (mean is null || p.Step <= averageFrom) return;
        using var noGrad = no_grad();
        averaged++;
        foreach (var (m, w) in mean.parameters().Zip(heads.parameters())) m.mul_((averaged - 1.0) / averaged).add_(w.detach() / averaged);
    }
    using (var trainer = new HeadTrainer(model, schedule, heads, trainerOptions)) trainer.Train(marked, Accumulate);
    Console.WriteLine($"seed {s}: trained {steps} steps in {watch.Elapsed.TotalSeconds:F0} s" + (mean is null ? "" : $", averaged the last {averaged}"));
    if (options.Has("--save-heads")) Directory.CreateDirectory(options.Get("--save-heads", "."));
    if (options.Has("--save-heads")) heads.Save(Path.Combine(options.Get("--save-heads", "."), $"heads_seed{s}.safetensors"), schedule);
    trained.Add(($"seed {s}", heads));
    singles.Add(trained[^1]);
    if (mean is not null)
    {
        mean.MarkTrained(heads.BaseModel!);
        trained.Add(($"seed {s} tail-average {tail}", mean));
    }
}
// The average of all seeds, or with --subsets of every subset of two or more (the choices `--candidates` validates).
var subsets = Enumerable.Range(1, (1 << singles.Count) - 1).Where(m => System.Numerics.BitOperations.PopCount((uint)m) > 1)
    .Where(m => options.Has("--subsets") || m == (1 << singles.Count) - 1)
    .Select(m => Enumerable.Range(0, singles.Count).Where(i => (m >> i & 1) == 1).ToList());
foreach (var members in subsets) // none for loaded heads: they are scored as they are
    trained.Add(($"average of seeds {string.Join('+', members.Select(i => seeds[i]))}", SaliencyHeads.Average(members.Select(i => singles[i].Heads).ToList())));

int passkeyPerCell = options.Int("--passkey-per-cell", 2), validatePerTask = options.Int("--validate", 0);
var validation = HeadSelection.ValidationSamples(validatePerTask, [512, 1024], suite);
// The tuning set: per task, samples per (length, depth) cell; validation indices from 100 on, apart from --validate's.
var tuningTasks = suite == EvaluationSuite.Ruler
    ? suite.TrainingRetrieval().Select(t => (t, 3)).ToArray()
    : [(TaskSuite.ByName("passkey"), passkeyPerCell), (TaskSuite.ByName("multikey"), 6), (TaskSuite.ByName("multivalue"), 3)];
var denseValidation = validatePerTask > 0 ? HeadSelection.AccuracyByTask(model, tokenizer, validation, null) : null;
foreach (var (label, heads) in trained)
{
    ITokenScorer scorer = new SaliencyHeadScorer(heads);
    if (options.Has("--neighbour-max")) scorer = new NeighbourMaxScorer(scorer, options.Int("--neighbour-max", 1), options.Double("--neighbour-mix", 1));
    var prefill = SdtpPrefill.For(schedule, scorer);
    var line = $"{string.Join(' ', args)}: {label}:";
    foreach (var (task, perCell) in tuningTasks)
    {
        int dense = 0, sdtp = 0, total = 0;
        foreach (int length in new[] { 512, 1024 })
            foreach (double depth in new[] { 0.1, 0.3, 0.5, 0.7, 0.9 })
                for (int i = 100; i < 100 + perCell; i++)
                {
                    using var scope = NewDisposeScope();
                    var sample = TaskSuite.ValidationSample(task, length, depth, i);
                    dense += Answers.ExactMatch(model, tokenizer, sample) ? 1 : 0;
                    sdtp += Answers.ExactMatch(model, tokenizer, sample, prefill) ? 1 : 0;
                    total++;
                }
        line += $" {task.Name} sdtp {sdtp} dense {dense} of {total};";
    }
    if (denseValidation is not null)
    {
        var accuracy = HeadSelection.AccuracyByTask(model, tokenizer, validation, prefill);
        line += $" validation ({validatePerTask} per task) worst retention {HeadSelection.Score(accuracy, denseValidation).WorstRetention:F3};";
    }
    if (options.Has("--where-lost"))
        line += ValueLoss.Describe(model, tokenizer, schedule, heads, tuningTasks.Select(t => t.Item1), options.Int("--where-lost", 20));
    Console.WriteLine(line);
    File.AppendAllText(options.Get("--log", "head-tuning.log"), line + Environment.NewLine);
}
foreach (var (_, heads) in trained) heads.Dispose();

static float[] Spread(float[] saliency, int radius) =>
    Enumerable.Range(0, saliency.Length)
        .Select(i => saliency[Math.Max(0, i - radius)..Math.Min(saliency.Length, i + radius + 1)].Max())
        .ToArray();

/// <summary>"--name value" pairs and bare flags.</summary>
internal sealed class Options(Dictionary<string, string> values)
{
    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{args[i]}'");
            bool flag = i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal);
            values[args[i]] = flag ? "" : args[++i];
        }
        return new Options(values);
    }

    public bool Has(string name) => values.ContainsKey(name);
    public string Get(string name, string fallback) => values.GetValueOrDefault(name, fallback);
    public int Int(string name, int fallback) => Has(name) ? Parse(name, int.TryParse(values[name], CultureInfo.InvariantCulture, out int v), v) : fallback;
    public double Double(string name, double fallback) => Has(name) ? Parse(name, double.TryParse(values[name], CultureInfo.InvariantCulture, out double v), v) : fallback;

    private T Parse<T>(string name, bool ok, T value) => ok ? value : throw new ArgumentException($"{name}: '{values[name]}' is not a number");
}
