using System.Diagnostics;

namespace Sdtp.Evaluation.Measurement;

/// <summary>Wall-clock timing with warm-up and medians.</summary>
public static class Timing
{
    /// <summary>Median of <paramref name="samples"/>.</summary>
    public static double Median(IEnumerable<double> samples)
    {
        var sorted = samples.OrderBy(x => x).ToArray();
        if (sorted.Length == 0) throw new ArgumentException("no samples", nameof(samples));
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>
    /// Times every action <paramref name="repeats"/> times after <paramref name="warmup"/> untimed runs each. Runs are
    /// interleaved (a, b, c, a, b, c, ...) so slow drift of the machine hits every action alike. Milliseconds, median.
    /// </summary>
    public static double[] InterleavedMedians(IReadOnlyList<Action> actions, int warmup, int repeats)
    {
        for (int w = 0; w < warmup; w++) foreach (var a in actions) a();
        var times = actions.Select(_ => new List<double>()).ToArray();
        for (int r = 0; r < repeats; r++)
            for (int i = 0; i < actions.Count; i++)
            {
                var watch = Stopwatch.StartNew();
                actions[i]();
                times[i].Add(watch.Elapsed.TotalMilliseconds);
            }
        return times.Select(Median).ToArray();
    }
}
