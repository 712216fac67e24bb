using System.Globalization;
using Sdtp.Evaluation.Reporting;
using Spectre.Console;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary>The results table printed at the end of eval and demo.</summary>
public static class ResultsTable
{
    private static readonly string[] Order = ["dense", "sdtp", "oracle", "attention", "window", "random"];

    /// <summary>Prints the accuracy tables (and the in-distribution one, when present) and the speed line.</summary>
    public static void Print(EvaluationReport report)
    {
        Accuracy(report.Tasks, "accuracy at the same keep budget [95% interval] (retention = policy / dense)");
        if (report.InDistribution is { Count: > 0 } inDistribution)
            Accuracy(inDistribution, "the same families on the phrasings training used");
        var longest = report.Latency[^1];
        AnsiConsole.MarkupLine($"pruned fraction {F(report.PrunedFraction, 3)}, compression {F(report.Compression, 2)}x, "
            + $"prefill FLOPs -{F(report.Flops.Reduction * 100, 1)}%, prefill at {longest["seq_len"]} tokens: dense {F(longest["dense_ms"], 0)} ms, "
            + $"sdtp {F(longest["sdtp_ms"], 0)} ms ([bold]{F(longest["speedup_sdtp"], 2)}x[/])");
    }

    private static void Accuracy(Dictionary<string, Dictionary<string, PolicyScore>> tasks, string title)
    {
        var table = new Table().Title(Markup.Escape(title));
        var policies = Order.Where(p => tasks.Values.First().ContainsKey(p)).ToList();
        table.AddColumn("task");
        foreach (var p in policies) table.AddColumn(p);
        foreach (var (task, scores) in tasks)
            table.AddRow(new[] { Markup.Escape(task) }.Concat(policies.Select(p => scores[p] switch
            {
                { Accuracy: not null } s => ScoreCell.Accuracy(s),
                var s => $"ppl {F(s.Perplexity ?? 0, 2)}",
            }).Select(Markup.Escape)).ToArray());
        AnsiConsole.Write(table);
    }

    private static string F(double v, int digits) => v.ToString("F" + digits, CultureInfo.InvariantCulture);
}
