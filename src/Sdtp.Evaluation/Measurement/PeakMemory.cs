using System.Diagnostics;

namespace Sdtp.Evaluation.Measurement;

/// <summary>
/// Peak resident memory of this process over a span of work. On Linux the kernel's high-water mark (VmHWM) is reset
/// before the work by writing 5 to /proc/self/clear_refs, so each run gets its own peak; elsewhere the process-lifetime
/// peak is reported, which only grows.
/// </summary>
public static class PeakMemory
{
    /// <summary>Runs <paramref name="work"/> and returns the peak resident bytes seen during it.</summary>
    public static long During(Action work)
    {
        bool reset = TryReset();
        work();
        return reset && TryReadHighWaterMark(out var bytes) ? bytes : Process.GetCurrentProcess().PeakWorkingSet64;
    }

    private static bool TryReset()
    {
        try
        {
            if (!OperatingSystem.IsLinux()) return false;
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool TryReadHighWaterMark(out long bytes)
    {
        bytes = 0;
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            if (line is null) return false;
            var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
            bytes = kb * 1024;
            return true;
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            return false;
        }
    }
}
