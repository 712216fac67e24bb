using System.Runtime.InteropServices;

namespace Sdtp.Evaluation.Measurement;

/// <summary>
/// Bytes the C heap has handed out and not taken back (glibc's <c>mallinfo2</c>: <c>uordblks + hblkhd</c>, over all
/// arenas), which is where libtorch's CPU tensors live. Unlike resident memory it falls as soon as a tensor is freed,
/// even when the allocator keeps the pages (as the <c>sdtp</c> tool asks it to), so its growth over a prefill is that
/// prefill's own working memory. Available where the C library is glibc; elsewhere every method returns null.
/// </summary>
public static class HeapUsage
{
    /// <summary>Bytes in use on the C heap now; null where glibc's <c>mallinfo2</c> is missing.</summary>
    public static long? InUse()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var info = mallinfo2();
            return (long)(info.uordblks + info.hblkhd);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> and returns the largest growth of <see cref="InUse"/> above its value at the start,
    /// sampled every <paramref name="intervalMs"/> ms on another thread and once at the end (so a block that lives
    /// shorter than the interval can be missed); null where <see cref="InUse"/> is.
    /// </summary>
    public static long? PeakGrowthDuring(Action work, int intervalMs = 1)
    {
        long? start = InUse();
        if (start is null)
        {
            work();
            return null;
        }
        long peak = start.Value;
        using var stop = new ManualResetEventSlim();
        var sampler = new Thread(() =>
        {
            do
            {
                long now = InUse()!.Value;
                if (now > Interlocked.Read(ref peak)) Interlocked.Exchange(ref peak, now);
            }
            while (!stop.Wait(intervalMs));
        }) { IsBackground = true, Name = "heap sampler" };
        sampler.Start();
        try
        {
            work();
        }
        finally
        {
            stop.Set();
            sampler.Join();
        }
        return Math.Max(Interlocked.Read(ref peak), InUse()!.Value) - start.Value;
    }

    // struct mallinfo2 from glibc's malloc.h (2.33+): ten size_t counters.
    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

    [DllImport("libc.so.6", ExactSpelling = true)]
    private static extern MallInfo2 mallinfo2();
}
