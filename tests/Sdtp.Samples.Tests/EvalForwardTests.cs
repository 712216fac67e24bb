using System.Text.Json.Nodes;
using Sdtp.Samples.TinyLlama.Commands;

namespace Sdtp.Samples.Tests;

/// <summary><c>eval</c> scores SDTP through the generated forward when the annotated class serves the schedule, else through the reference loop.</summary>
[Collection(nameof(ConsoleRedirect))]
public class EvalForwardTests
{
    [Theory]
    [InlineData(null, "generated")]
    [InlineData("1:0.6,4:0.6", "reference")]
    public void The_report_says_which_forward_ran_sdtp(string? schedule, string expected)
    {
        using var folder = new TempFolder();
        var dir = folder.Path;
        TinyCheckpoint.Write(dir);
        string[] withSchedule = schedule is null ? [] : ["--schedule", schedule];
        var marked = Path.Combine(dir, "marked.jsonl");
        CliRunner.Succeeds(["mark", "--model", dir, "--samples", "2", "--min-length", "256", "--max-length", "288", "--out", marked, .. withSchedule]);
        CliRunner.Succeeds(["train-heads", "--model", dir, "--marked", marked, "--steps", "2", .. withSchedule]);
        var output = Path.Combine(dir, "eval");
        CliRunner.Succeeds("eval", "--model", dir, "--samples", "1", "--lengths", "256", "--baselines", "none", "--latency-lengths", "256", "--repeats", "1", "--out", output);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "report.json")))!;
        Assert.Equal(expected, report["sdtp_forward"]!.GetValue<string>());
        Assert.Contains($"SDTP through the {expected} forward", File.ReadAllText(Path.Combine(output, "report.md")));
    }
}
