using Spectre.Console;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary>A Spectre.Console progress bar around a long step; plain lines when the output is not a terminal.</summary>
internal static class Progress
{
    public static T Run<T>(string description, int total, Func<Action<int>, T> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            AnsiConsole.MarkupLineInterpolated($"{description} ...");
            int lastPercent = -1;
            var result = work(done =>
            {
                int percent = 100 * done / Math.Max(1, total);
                if (percent / 25 != lastPercent / 25) { lastPercent = percent; Console.WriteLine($"  {description}: {done}/{total}"); }
            });
            return result;
        }
        T value = default!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(description, maxValue: Math.Max(1, total));
                value = work(done => task.Value = done);
                task.Value = task.MaxValue;
            });
        return value;
    }

    /// <summary>
    /// A bar per named part of a long run (accuracy, sweep, latency, ...): the work reports (part, done, total) and a
    /// new part gets its own bar. Plain lines when the output is not a terminal.
    /// </summary>
    public static T RunParts<T>(Func<Action<string, int, int>, T> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            string last = "";
            return work((part, done, total) =>
            {
                if (part != last || done == total) Console.WriteLine($"  {part}: {done}/{total}");
                last = part;
            });
        }
        T value = default!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var bars = new Dictionary<string, ProgressTask>();
                value = work((part, done, total) =>
                {
                    if (!bars.TryGetValue(part, out var bar)) bars[part] = bar = ctx.AddTask(part, maxValue: Math.Max(1, total));
                    bar.Value = done;
                });
                foreach (var bar in bars.Values) bar.Value = bar.MaxValue;
            });
        return value;
    }
}
