using Sdtp.Pruning;
using Sdtp.Samples.TinyLlama.Commands;

namespace Sdtp.Samples.Tests;

/// <summary><c>train-heads --candidates N</c> end to end on a tiny random checkpoint.</summary>
[Collection(nameof(ConsoleRedirect))]
public class TrainHeadsCandidatesTests
{
    [Fact]
    public void Two_candidates_and_their_average_are_validated_and_the_chosen_set_is_written()
    {
        var dir = Path.Combine(Path.GetTempPath(), "sdtp-candidates-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var savedOut = Console.Out;
        var output = new StringWriter();
        try
        {
            TinyCheckpoint.Write(dir);
            var marked = Path.Combine(dir, "marked.jsonl");
            var heads = Path.Combine(dir, "heads.safetensors");
            Console.SetOut(output);
            Assert.Equal(0, CommandLineErrors.Run(Cli.CreateRoot(), ["mark", "--model", dir, "--samples", "3", "--min-length", "256", "--max-length", "300", "--out", marked]));
            Assert.Equal(0, CommandLineErrors.Run(Cli.CreateRoot(), ["train-heads", "--model", dir, "--marked", marked, "--steps", "2", "--candidates", "2", "--out", heads]));

            var log = output.ToString();
            Assert.Contains("candidate 1/2 (seed 0): validation", log);
            Assert.Contains("candidate 2/2 (seed 1): validation", log);
            Assert.Contains("average of the 2 candidates: validation", log);
            // The kept set is one candidate (d/4 = 8 hidden units) or their average (16), and it loads as written.
            using var loaded = SaliencyHeads.Load(heads, TinyLlama.TinyLlama.SdtpPlan.Schedule, 32);
            Assert.Contains(loaded.InnerSize, new long[] { 8, 16 });
        }
        finally
        {
            Console.SetOut(savedOut);
            Directory.Delete(dir, recursive: true);
        }
    }
}
