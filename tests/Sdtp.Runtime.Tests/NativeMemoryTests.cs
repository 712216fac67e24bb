using System.Diagnostics;
using Sdtp.Generation;
using Sdtp.Modeling;
using Sdtp.Pruning;
using Xunit.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

[CollectionDefinition(nameof(NativeMemory), DisableParallelization = true)]
public sealed class NativeMemory;

/// <summary>Hundreds of forward passes must not grow native memory: every intermediate is disposed by a scope.</summary>
[Collection(nameof(NativeMemory))]
public class NativeMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void Live_tensors_and_resident_memory_stay_flat_over_300_dense_and_pruned_passes()
    {
        using var model = TinyModels.Random(TinyModels.Config(kvHeads: 2, layers: 4));
        using var noGrad = no_grad();
        using var ids = tensor(Enumerable.Range(0, 96).Select(i => (long)(i * 7 % 50)).ToArray()).unsqueeze(0);
        using var mask = ones(1, 96, dtype: ScalarType.Int64);
        using var next = tensor(new long[] { 5 }).unsqueeze(0);
        var generator = new TextGenerator(model);
        var schedule = PruningSchedule.Geometric(1, 1, 3, 0.8);
        using var heads = new SaliencyHeads(schedule, model.Config.HiddenSize, CPU);
        heads.MarkTrained(ModelSignature.Of(model)); // random weights stand for trained heads: memory is what is measured
        var pruned = new TextGenerator(model, SdtpPrefill.For(schedule, new SaliencyHeadScorer(heads)), new SinkWindowEviction(48));

        void Iteration()
        {
            using (var logits = model.Forward(ids, mask))
                _ = logits.shape;
            using (var cache = new KvCache(model.Layers.Count, 16))
            {
                model.Forward(ids, cache: cache).Dispose();
                model.Forward(next, cache: cache).Dispose();
            }
            _ = generator.Generate([1, 2, 3], new GenerationOptions { MaxNewTokens = 3, Temperature = 1, StopTokenIds = [-1] }).ToList();
            _ = pruned.Generate(Enumerable.Range(0, 60).Select(i => 3 + i % 40).ToArray(), new GenerationOptions { MaxNewTokens = 3, StopTokenIds = [-1] }).ToList();
        }

        // One iteration allocates ~1.5 MB of activations; a leak of any of them over 200 runs would show as >250 MB.
        AssertStaysFlat(Iteration, window: 100, allowedGrowth: 32L << 20, "iterations");
    }

    [Fact]
    public void Live_tensors_and_resident_memory_stay_flat_over_600_mixed_precision_training_steps()
    {
        using var model = TinyModels.Random(TinyModels.Config(kvHeads: 2, layers: 4));
        using var precision = new Sdtp.Training.MixedPrecisionCopy(model, ScalarType.BFloat16);
        using var optimizer = new Sdtp.Training.HeldScalarOptimizers.AdamW(precision.Weights, 1e-4, weightDecay: 0.01);
        using var ids = tensor(Enumerable.Range(0, 96).Select(i => (long)(i * 7 % 50)).ToArray()).view(2, 48);

        void Iteration()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            precision.CopyWeights();
            precision.Compute.Forward(ids, allLogits: true).to_type(ScalarType.Float32).log_softmax(-1).mean().neg().backward();
            precision.MoveGradients();
            optimizer.step();
        }

        // A step's gradients and activations are about 1 MB; keeping either from every step would add 400 MB.
        AssertStaysFlat(Iteration, window: 200, allowedGrowth: 16L << 20, "steps");
    }

    [Fact]
    public void Keeping_freed_memory_is_accepted_by_glibc_and_can_be_repeated()
    {
        // The speed-up it buys is measured with a training loop (docs/runtime.md, "Native memory"), not here: whether a freed block is handed
        // back depends on which malloc arena a thread uses, which a test runner does not control.
        bool glibc = OperatingSystem.IsLinux() && File.Exists("/proc/self/maps")
            && File.ReadAllText("/proc/self/maps").Contains("libc.so.6", StringComparison.Ordinal);
        Assert.Equal(glibc, Sdtp.NativeAllocator.KeepFreedMemory());
        Assert.Equal(glibc, Sdtp.NativeAllocator.KeepFreedMemory());
    }

    /// <summary>
    /// Runs <paramref name="iteration"/> 30 times to warm up (allocator pools, JIT), then three windows of
    /// <paramref name="window"/> runs, and asserts that the live tensor count stays the same and that resident memory
    /// grows by less than <paramref name="allowedGrowth"/> bytes from the first window's end to the last's.
    /// </summary>
    private void AssertStaysFlat(Action iteration, int window, long allowedGrowth, string unit)
    {
        for (int i = 0; i < 30; i++) iteration();
        var liveBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var resident = new List<long>();
        for (int w = 0; w < 3; w++)
        {
            for (int i = 0; i < window; i++) iteration();
            resident.Add(HeldResidentBytes());
        }
        var liveAfter = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        output.WriteLine($"live tensors {liveBefore} -> {liveAfter}; resident after {window}, {2 * window} and {3 * window} {unit}: {string.Join(", ", resident.Select(r => r >> 20))} MB");
        Assert.Equal(liveBefore, liveAfter);
        Assert.True(resident[^1] - resident[0] < allowedGrowth, $"resident memory grew by {(resident[^1] - resident[0]) >> 20} MB from {window} to {3 * window} {unit}");
    }

    // Freed blocks scattered through the C heap stay resident however the allocator is tuned (a test of this collection
    // tunes it for the whole process), so memory is read after handing free pages back: what stays is what is held.
    private static long HeldResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Sdtp.NativeAllocator.ReturnFreedMemory();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
