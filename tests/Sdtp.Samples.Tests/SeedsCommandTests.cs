using Sdtp.Samples.TinyLlama.Commands;

namespace Sdtp.Samples.Tests;

/// <summary><c>sdtp seeds</c> end to end on a tiny checkpoint: every seed trained alone, all scored on the same samples.</summary>
[Collection(nameof(ConsoleRedirect))]
public class SeedsCommandTests
{
    [Fact]
    public void Trains_each_seed_alone_and_reports_each_with_the_median_and_the_worst()
    {
        using var folder = new TempFolder();
        var dir = folder.Path;
        TinyCheckpoint.Write(dir);
        var output = Path.Combine(dir, "out");
        var saved = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        int code;
        try
        {
            code = CommandLineErrors.Run(Cli.CreateRoot(), ["seeds", "--model", dir, "--seeds", "3,4", "--steps", "2", "--mark-samples", "2",
                "--samples", "1", "--lengths", "1024", "--out", output]);
        }
        finally { Console.SetError(saved); }
        Assert.True(code == 0, error.ToString());
        Assert.True(File.Exists(Path.Combine(output, "heads_seed_3.safetensors")));
        Assert.True(File.Exists(Path.Combine(output, "heads_seed_4.safetensors")));
        var md = File.ReadAllText(Path.Combine(output, "seeds.md"));
        Assert.Contains("| task | dense | seed 3 | seed 4 | median retention | worst retention |", md);
        foreach (var family in new[] { "niah_single", "niah_multikey", "niah_multivalue", "niah_multiquery", "vt" })
            Assert.Contains($"| {family} |", md);
        Assert.Contains("\"median_retention\"", File.ReadAllText(Path.Combine(output, "seeds.json")));
    }
}
