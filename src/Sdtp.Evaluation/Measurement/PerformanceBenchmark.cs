using System.Diagnostics;
using System.Globalization;
using Sdtp.Generation;
using Sdtp.Modeling;
using Sdtp.Pruning;
using static TorchSharp.torch;

namespace Sdtp.Evaluation.Measurement;

/// <summary>
/// Speed and memory, always as dense vs pruned on the same input in the same run: prefill latency (warm-up, then
/// interleaved medians), decode speed and KV-cache bytes after prefill, peak memory per prefill, and the machine's
/// plain matmul throughput for scale.
/// </summary>
public sealed class PerformanceBenchmark(LlamaForCausalLM model)
{
    /// <summary>A prompt of <paramref name="length"/> random byte tokens (latency does not depend on content).</summary>
    public Tensor RandomPrompt(int length, int seed = 1)
    {
        using var generator = new Generator((ulong)seed, CPU);
        return randint(3, model.Config.VocabSize, [1, length], generator: generator).to(model.Device);
    }

    /// <summary>
    /// Median prefill milliseconds per named prefill at each length, with <c>speedup_NAME</c> = dense / NAME.
    /// <paramref name="prefills"/> must contain "dense".
    /// </summary>
    public List<Dictionary<string, double>> PrefillLatency(IReadOnlyDictionary<string, Prefill> prefills, IReadOnlyList<int> lengths,
        int warmup, int repeats, Action<string>? progress = null)
    {
        var rows = new List<Dictionary<string, double>>();
        var names = prefills.Keys.ToList();
        foreach (var length in lengths)
        {
            progress?.Invoke($"prefill latency at {length} tokens");
            using var ids = RandomPrompt(length);
            var actions = names.Select(name => (Action)(() => RunPrefill(prefills[name], ids))).ToList();
            var medians = Timing.InterleavedMedians(actions, warmup, repeats);
            var row = new Dictionary<string, double> { ["seq_len"] = length };
            for (int i = 0; i < names.Count; i++) row[$"{names[i]}_ms"] = medians[i];
            double dense = row["dense_ms"];
            foreach (var name in names.Where(n => n != "dense")) row[$"speedup_{name}"] = dense / row[$"{name}_ms"];
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>A way to decode for <see cref="DecodeSpeeds"/>: a prefill and, optionally, an eviction policy applied after it and after every token.</summary>
    public sealed record DecodeSetup(Prefill Prefill, IKvCacheEviction? Eviction = null);

    /// <summary>
    /// Median decode tokens per second of each named setup after a <paramref name="length"/>-token prompt: every run
    /// prefills (untimed), then times <paramref name="tokens"/> greedy steps; runs are interleaved across setups
    /// (<paramref name="warmup"/> untimed rounds, then <paramref name="repeats"/> timed ones), as prefill latency is.
    /// </summary>
    public Dictionary<string, double> DecodeSpeeds(IReadOnlyDictionary<string, DecodeSetup> setups, int length, int tokens, int warmup, int repeats)
    {
        var names = setups.Keys.ToList();
        var speeds = names.ToDictionary(n => n, _ => new List<double>());
        for (int round = 0; round < warmup + repeats; round++)
            foreach (var name in names)
            {
                var (_, perSecond) = Decode(setups[name].Prefill, length, tokens, setups[name].Eviction);
                if (round >= warmup) speeds[name].Add(perSecond);
            }
        return names.ToDictionary(n => n, n => Timing.Median(speeds[n]));
    }

    /// <summary>KV-cache bytes right after prefill and decode tokens per second over <paramref name="tokens"/> greedy steps.</summary>
    public (long CacheBytes, double TokensPerSecond) Decode(Prefill prefill, int length, int tokens, IKvCacheEviction? eviction = null)
    {
        using var ids = RandomPrompt(length, seed: 2);
        using var cache = new KvCache(model.Layers.Count, length + tokens);
        using var noGrad = no_grad();
        long next;
        using (var scope = NewDisposeScope())
        {
            next = prefill(model, ids, cache).argmax(-1).item<long>();
            eviction?.Apply(cache);
        }
        long bytes = cache.Bytes;
        var watch = Stopwatch.StartNew();
        for (int t = 0; t < tokens; t++)
        {
            using var scope = NewDisposeScope();
            next = model.Forward(tensor(new[] { next }, device: model.Device).unsqueeze(0), cache: cache).argmax(-1).item<long>();
            eviction?.Apply(cache);
        }
        return (bytes, tokens / watch.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Memory of one prefill of <paramref name="length"/> tokens: the process's peak resident bytes, and the peak growth
    /// of the C heap in use (<see cref="HeapUsage"/>; null where unavailable), each from its own run after a warm-up.
    /// </summary>
    public PrefillMemory PeakPrefillMemory(Prefill prefill, int length)
    {
        using var ids = RandomPrompt(length, seed: 3);
        RunPrefill(prefill, ids); // warm the allocator so the peak is the run's, not the first allocation's
        long resident = Measurement.PeakMemory.During(() => RunPrefill(prefill, ids));
        long? heap = HeapUsage.PeakGrowthDuring(() => RunPrefill(prefill, ids));
        return new PrefillMemory(resident, heap);
    }

    /// <summary>GFLOP/s of a plain fp32 [n x n] x [n x n] matmul on the model's device (median of 5 after 2 warm-ups).</summary>
    public static double MatmulGflops(Device device, int n = 1024)
    {
        using var a = randn(n, n, device: device);
        using var b = randn(n, n, device: device);
        var ms = Timing.InterleavedMedians([() => { using var c = a.matmul(b); _ = c.sum().item<float>(); }], 2, 5)[0];
        return 2.0 * n * n * n / (ms / 1000) / 1e9;
    }

    private void RunPrefill(Prefill prefill, Tensor ids)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var cache = new KvCache(model.Layers.Count, ids.shape[1] + 1);
        // item() forces the work to finish, on CUDA as on the CPU; read as float64, whatever the model's dtype.
        _ = prefill(model, ids, cache).sum().to_type(ScalarType.Float64).item<double>();
    }

    /// <summary>Formats milliseconds for tables.</summary>
    public static string Ms(double value) => value.ToString("F1", CultureInfo.InvariantCulture);
}
