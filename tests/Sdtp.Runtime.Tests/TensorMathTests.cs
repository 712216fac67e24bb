using System.Diagnostics;
using System.Runtime.InteropServices;
using Sdtp.Modeling;
using Sdtp.Pruning;
using TorchSharp;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

public class TensorMathTests
{
    [Fact]
    public void Each_helper_computes_what_torchsharps_own_operator_does_and_keeps_integer_tensors_integer()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { -1.5f, 0f, 2.25f, 3f });
        var y = tensor(new[] { 0.5f, -2f, 1f, 4f });
        var ints = tensor(new long[] { -2, 0, 3 });
        Assert.Equal((x + y).data<float>().ToArray(), x.Plus(y).data<float>().ToArray());
        Assert.Equal((x - y).data<float>().ToArray(), x.Minus(y).data<float>().ToArray());
        Assert.Equal((x + 0.25).data<float>().ToArray(), x.Plus(0.25).data<float>().ToArray());
        Assert.Equal((1 - x).data<float>().ToArray(), x.SubtractedFrom(1).data<float>().ToArray());
        Assert.Equal((x * 3.5).data<float>().ToArray(), x.Times(3.5).data<float>().ToArray());
        Assert.Equal((x / 3.0).data<float>().ToArray(), x.DividedBy(3.0).data<float>().ToArray());
        Assert.Equal(x.pow(2).data<float>().ToArray(), x.Squared().data<float>().ToArray());
        Assert.Equal(x.clamp(-1, 2.5).data<float>().ToArray(), x.Between(-1, 2.5).data<float>().ToArray());
        Assert.Equal((x >= 0).data<bool>().ToArray(), x.IsAtLeast(0).data<bool>().ToArray());
        Assert.Equal((x < 2).data<bool>().ToArray(), x.IsBelow(2).data<bool>().ToArray());
        Assert.Equal((x != 0).data<bool>().ToArray(), x.IsNot(0).data<bool>().ToArray());
        Assert.Equal([-1.5f, 0f, float.NegativeInfinity, 3f], x.FilledWhere(x > 2 & x < 3, double.NegativeInfinity).data<float>().ToArray());
        Assert.Equal([-1.5f, 0f, 2.25f, 3f], x.AtLeast(-2.0).data<float>().ToArray());
        var slots = zeros(3);
        slots.narrow(0, 1, 2).FillWith(2.5);
        Assert.Equal([0f, 2.5f, 2.5f], slots.data<float>().ToArray());
        Assert.Equal([true, true], zeros(2, dtype: ScalarType.Bool).FillWith(true).data<bool>().ToArray());

        // Integer arguments keep int64 tensors int64 (a float argument would promote them to float).
        Assert.Equal(ScalarType.Int64, ints.Plus(-1L).dtype);
        Assert.Equal([-3L, -1L, 2L], ints.Plus(-1L).data<long>().ToArray());
        Assert.Equal([0L, 0L, 3L], ints.AtLeast(0L).data<long>().ToArray());
        Assert.Equal([-1L, 0L, 3L], ints.FilledWhere(ints < 0, -1L).data<long>().ToArray());
        Assert.Equal([2L, 3L, 4L], TensorMath.Range(2, 5).data<long>().ToArray());
        var filled = TensorMath.Filled([2], -7.5, ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, filled.dtype);
        Assert.Equal([-7.5f, -7.5f], filled.to_type(ScalarType.Float32).data<float>().ToArray());
    }

    // With TorchSharp's own operators this forward failed 3-4 times in 5 s (benchmarks/Sdtp.ScalarRace forward 5, the
    // same shapes); every number it passes to libtorch now goes through TensorMath, so none may fail. A smaller model
    // spends too little of its time in the calls that take numbers for the race to show within seconds.
    [Fact]
    public void Model_forward_and_pruned_prefill_survive_garbage_collections_during_their_native_calls()
    {
        var config = TinyModels.Config(layers: 4) with { HiddenSize = 64, IntermediateSize = 128, HeadDim = 16, VocabSize = 259, MaxPositionEmbeddings = 256 };
        using var model32 = TinyModels.Random(config);
        using var model16 = TinyModels.Random(config, dtype: ScalarType.BFloat16);
        var schedule = PruningSchedule.Geometric(1, 1, 2, 0.7);
        using var heads = new SaliencyHeads(schedule, model32.Config.HiddenSize, CPU);
        heads.MarkTrained(ModelSignature.Of(model32));
        var prefill = SdtpPrefill.For(schedule, new SaliencyHeadScorer(heads));
        using var ids = tensor(Enumerable.Range(0, 64).Select(i => (long)(i * 37 % 259)).ToArray()).unsqueeze(0);
        using var noGrad = no_grad();

        bool stop = false;
        var collector = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        });
        collector.Start();
        var failures = new List<string>();
        int calls = 0;
        try
        {
            // At least 6 s and 60 calls: on a loaded machine the calls are fewer per second, so the run takes longer.
            for (var clock = Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(6) || calls < 60; calls++)
            {
                try
                {
                    using var scope = NewDisposeScope();
                    using var cache = new KvCache(model32.Layers.Count, ids.shape[1]);
                    _ = calls % 3 switch
                    {
                        0 => model32.Forward(ids),
                        1 => model16.Forward(ids),
                        _ => prefill(model32, ids, cache),
                    };
                }
                catch (ExternalException e)
                {
                    failures.Add(e.Message.Split('\n')[0]);
                }
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            collector.Join();
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {calls} calls failed, first: {failures.FirstOrDefault()}");
    }
}
