using System.Diagnostics;
using System.Globalization;
using Sdtp.Checkpoints;
using Sdtp.Modeling;
using static TorchSharp.torch;

// Loading (and decoding with) a checkpoint of a real size: SmolLM2-360M's shape (32 layers, d = 960, 15/5 heads, vocabulary 49,152, tied
// embeddings: 362M parameters, 0.72 GB at bf16) with random weights, written here and never shipped. Each load runs
// in a fresh process, so its peak resident memory (VmHWM) is its own; runs alternate between the two ways of loading.
//   dotnet run -c Release --project benchmarks/Sdtp.LoadBenchmark -- DIR [RUNS]
//     writes DIR (once), then RUNS times each: HuggingFaceCheckpoint.Load (uninitialised parameters, the checkpoint's
//     dtype) and the way loading worked before (a randomly initialised model, then LoadWeights)
//   ... -- --load DIR uninitialized|random      one load, printing seconds, resident MB before and at the peak
//   ... -- --decode DIR                          dense greedy decode of that grouped-query model: 64 steps after a
//                                                1024-token prompt, 5 timed runs after one warm-up, median tokens/s
if (args.Length >= 1 && args[0] == "--load") return LoadOnce(args[1], args[2]);
if (args.Length >= 1 && args[0] == "--decode") return DecodeSpeed(args[1]);
if (args.Length is < 1 or > 2)
{
    Console.Error.WriteLine("usage: Sdtp.LoadBenchmark DIR [RUNS]  |  Sdtp.LoadBenchmark --load DIR uninitialized|random");
    return 2;
}
var dir = args[0];
int runs = args.Length == 2 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
var config = new ModelConfig
{
    ModelType = "llama", HiddenSize = 960, IntermediateSize = 2560, NumHiddenLayers = 32, NumAttentionHeads = 15,
    NumKeyValueHeads = 5, HeadDim = 64, VocabSize = 49152, RmsNormEps = 1e-5, RopeTheta = 100000, MaxPositionEmbeddings = 8192,
    TieWordEmbeddings = true,
};
if (!File.Exists(Path.Combine(dir, HuggingFaceCheckpoint.WeightsFile)))
{
    manual_seed(1);
    using var model = new LlamaForCausalLM(config, CPU, ScalarType.BFloat16);
    HuggingFaceCheckpoint.Save(model, dir);
}
long weights = new FileInfo(Path.Combine(dir, HuggingFaceCheckpoint.WeightsFile)).Length;
Console.WriteLine($"weights: {weights / 1e6:F0} MB (bf16)");
var self = Environment.ProcessPath!;
var results = new Dictionary<string, List<double[]>> { ["uninitialized"] = [], ["random"] = [] };
for (int r = 0; r < runs; r++)
    foreach (var mode in results.Keys)
    {
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true };
        foreach (var a in new[] { "--load", dir, mode }) start.ArgumentList.Add(a);
        if (self.EndsWith("dotnet", StringComparison.Ordinal)) start.ArgumentList.Insert(0, typeof(Program).Assembly.Location);
        using var child = Process.Start(start)!;
        var line = child.StandardOutput.ReadToEnd().Trim();
        child.WaitForExit();
        results[mode].Add(line.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray());
    }
foreach (var (mode, rows) in results)
{
    double Median(int i) => rows.Select(r => r[i]).Order().ElementAt(rows.Count / 2);
    Console.WriteLine($"{mode,-14} load {Median(0):F2} s (runs: {string.Join(", ", rows.Select(r => r[0].ToString("F2", CultureInfo.InvariantCulture)))}), " +
        $"resident before {Median(1):F0} MB, peak {Median(2):F0} MB = {Median(2) * 1e6 / weights:F2}x the weights, growth {(Median(2) - Median(1)) * 1e6 / weights:F2}x");
}
return 0;

static int LoadOnce(string dir, string mode)
{
    using (var warm = ones(1)) { } // libtorch loaded: what every process pays before any model
    double before = ResidentMb("VmRSS");
    var watch = Stopwatch.StartNew();
    LlamaForCausalLM model;
    if (mode == "uninitialized") model = HuggingFaceCheckpoint.Load(dir, CPU);
    else
    {
        model = new LlamaForCausalLM(ModelConfig.Load(Path.Combine(dir, HuggingFaceCheckpoint.ConfigFile)), CPU, ScalarType.BFloat16);
        HuggingFaceCheckpoint.LoadWeights(model, dir, model.Config.TieWordEmbeddings);
    }
    double seconds = watch.Elapsed.TotalSeconds;
    Console.WriteLine(string.Join(' ', new[] { seconds, before, ResidentMb("VmHWM") }.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
    model.Dispose();
    return 0;
}

static int DecodeSpeed(string dir)
{
    using var model = HuggingFaceCheckpoint.Load(dir, CPU);
    using var noGrad = no_grad();
    var speeds = new List<double>();
    for (int run = 0; run < 6; run++)
    {
        using var cache = new KvCache(model.Layers.Count, 1024 + 64);
        using var generator = new Generator(1, CPU);
        using var ids = randint(3, model.Config.VocabSize, [1, 1024], generator: generator);
        long next = model.Forward(ids, cache: cache).argmax(-1).item<long>();
        var watch = Stopwatch.StartNew();
        for (int t = 0; t < 64; t++)
        {
            using var scope = NewDisposeScope();
            next = model.Forward(tensor(new[] { next }).unsqueeze(0), cache: cache).argmax(-1).item<long>();
        }
        if (run > 0) speeds.Add(64 / watch.Elapsed.TotalSeconds);
    }
    speeds.Sort();
    Console.WriteLine($"dense decode after 1024 tokens: median {speeds[speeds.Count / 2]:F1} tokens/s (runs: {string.Join(", ", speeds.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)))})");
    return 0;
}

static double ResidentMb(string field) =>
    double.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024 / 1e6;
