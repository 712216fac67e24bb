using System.Globalization;
using Sdtp.Evaluation.Reporting;
using Spectre.Console;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary>The results table printed at the end of eval and demo.</summary>
internal static class ResultsTable
{
    private static readonly string[] Order = ["dense", "sdtp", "oracle", "attention", "window", "random"];

    public static void Print(EvaluationReport report)
    {
        var table = new Table().Title("accuracy at the same keep budget (retention = policy / dense)");
        var policies = Order.Where(p => report.Tasks.Values.First().ContainsKey(p)).ToList();
        table.AddColumn("task");
        foreach (var p in policies) table.AddColumn(p);
        foreach (var (task, scores) in report.Tasks)
            table.AddRow(new[] { task }.Concat(policies.Select(p => scores[p].Accuracy is double a
                ? $"{F(a, 3)} ({F(scores[p].Retention, 2)})"
                : $"ppl {F(scores[p].Perplexity ?? 0, 2)}")).ToArray());
        AnsiConsole.Write(table);
        var longest = report.Latency[^1];
        AnsiConsole.MarkupLine($"pruned fraction {F(report.PrunedFraction, 3)}, compression {F(report.Compression, 2)}x, "
            + $"prefill FLOPs -{F(report.Flops.Reduction * 100, 1)}%, prefill at {longest["seq_len"]} tokens: dense {F(longest["dense_ms"], 0)} ms, "
            + $"sdtp {F(longest["sdtp_ms"], 0)} ms ([bold]{F(longest["speedup_sdtp"], 2)}x[/])");
    }

    private static string F(double v, int digits) => v.ToString("F" + digits, CultureInfo.InvariantCulture);
}
