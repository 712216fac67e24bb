using Sdtp.Evaluation.Reporting;
using Sdtp.Samples.TinyLlama.Commands;

namespace Sdtp.Samples.Tests;

/// <summary>The console table: brackets in intervals and task names are text, not Spectre markup.</summary>
[Collection(nameof(ConsoleRedirect))]
public class ResultsTableTests
{
    [Fact]
    public void Prints_intervals_and_the_in_distribution_table()
    {
        PolicyScore Score(double accuracy) => new()
        {
            Accuracy = accuracy, Correct = (int)(accuracy * 40), Interval = [0.87, 1.0], Retention = 1, Samples = 40,
            ByLength = new() { ["1024"] = accuracy },
        };
        var tasks = new Dictionary<string, Dictionary<string, PolicyScore>> { ["vt"] = new() { ["dense"] = Score(1), ["sdtp"] = Score(0.975) } };
        var report = new EvaluationReport
        {
            Date = "2026-12-01T00:00:00Z", Machine = "test", Model = "tiny", Schedule = "[1:0.5]",
            Tasks = tasks,
            InDistribution = new() { ["vt@train"] = tasks["vt"] },
            PrunedFraction = 0.5, Compression = 1.5, TokensPerLayer = [8, 4], TokensPerLayerLength = 8,
            Flops = new FlopsSection { SeqLen = 8, Dense = 2, Sdtp = 1, Reduction = 0.5, PaperConvention = new() { ["reduction"] = 0.5 } },
            Latency = [new() { ["seq_len"] = 8, ["dense_ms"] = 2, ["sdtp_ms"] = 1, ["speedup_sdtp"] = 2 }],
            KvCacheBytes = new(), DecodeTokensPerSecond = new(), PeakMemoryBytes = new(),
            Efficiency = new EfficiencySection { SeqLen = 8, MeasuredSpeedup = 2, AnalyticSpeedup = 2, SpeedupEfficiency = 1, DenseGflops = 1, MatmulGflops = 1, MachineEfficiency = 1 },
            Heads = [], Sweep = [], Seconds = 1,
        };
        var saved = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(output) });
            ResultsTable.Print(report);
        }
        finally
        {
            Console.SetOut(saved);
            Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings());
        }
        var text = output.ToString();
        Assert.Contains("0.975 [0.87, 1.00] (1.00)", text);
        Assert.Contains("[95% interval]", text);
        Assert.Contains("vt@train", text);
    }
}
