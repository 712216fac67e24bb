using Sdtp.Evaluation.Measurement;
using static TorchSharp.torch;

namespace Sdtp.Evaluation.Tests;

public class HeapUsageTests
{
    [Fact]
    public void Peak_growth_sees_a_tensor_that_lives_during_the_work_and_nothing_when_none_does()
    {
        if (HeapUsage.InUse() is null) return; // not glibc: nothing to measure
        const long bytes = 64L << 20;
        using (var warm = ones(1024)) _ = warm.sum().item<float>(); // libtorch's first-use set-up allocates too
        long before = HeapUsage.InUse()!.Value;
        long? holding = HeapUsage.PeakGrowthDuring(() =>
        {
            using var block = ones(bytes / sizeof(float));
            Thread.Sleep(20); // several sampling intervals
            _ = block.sum().item<float>();
        });
        long? idle = HeapUsage.PeakGrowthDuring(() => Thread.Sleep(20));

        Assert.InRange(holding!.Value, bytes, bytes + (8L << 20));
        Assert.InRange(idle!.Value, 0, 4L << 20);
        // Freed again, the block no longer counts, whether or not the allocator keeps its pages resident.
        Assert.InRange(HeapUsage.InUse()!.Value - before, -(8L << 20), 8L << 20);
    }
}
