using Sdtp.Samples.TinyLlama.Commands;

namespace Sdtp.Samples.Tests;

[CollectionDefinition(nameof(ConsoleRedirect), DisableParallelization = true)]
public sealed class ConsoleRedirect;

/// <summary>Bad arguments and missing files: one clear line on stderr, a non-zero exit, no stack trace.</summary>
[Collection(nameof(ConsoleRedirect))]
public class CliErrorTests
{
    private static (int Code, string Error) Run(params string[] args)
    {
        var saved = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        try
        {
            return (CommandLineErrors.Run(Cli.CreateRoot(), args), error.ToString());
        }
        finally
        {
            Console.SetError(saved);
        }
    }

    [Theory]
    [InlineData(new[] { "eval", "--model", "/no/such/dir" }, "/no/such/dir: model directory not found")]
    [InlineData(new[] { "train-heads", "--model", "/no/such/dir" }, "/no/such/dir: model directory not found")]
    [InlineData(new[] { "train-heads", "--candidates", "0" }, "--candidates must be at least 1 (got 0)")]
    [InlineData(new[] { "demo", "--candidates", "-2" }, "--candidates must be at least 1 (got -2)")]
    [InlineData(new[] { "train-base", "--lengths", "512", "1024", "--max-keys", "6" }, "--lengths has 2 stages but --max-keys has 1")]
    [InlineData(new[] { "train-base", "--multikey-questions", "0" }, "--multikey-questions must be at least 1 (got 0)")]
    [InlineData(new[] { "train-base", "--out", "/tmp/sdtp-cli-never", "--start-from", "/no/such/model" }, "the checkpoint to start from has no config.json: /no/such/model")]
    [InlineData(new[] { "demo", "--samples-per-step", "0" }, "--samples-per-step must be at least 1 (got 0)")]
    [InlineData(new[] { "bogus" }, "Unrecognized command or argument 'bogus'")]
    [InlineData(new[] { "bench", "--repeats", "many" }, "many")]
    [InlineData(new[] { "generate" }, "--prompt")]
    [InlineData(new[] { "eval", "--heads", "/no/such/heads.safetensors" }, "/no/such/heads.safetensors: no trained heads")]
    [InlineData(new[] { "eval", "--baselines", "random,magic" }, "--baselines: unknown policy 'magic'; known: oracle, random, window, attention, or none")]
    [InlineData(new[] { "seeds", "--seeds", "1,x" }, "--seeds: 'x' is not an integer seed")]
    [InlineData(new[] { "seeds", "--seeds", "2,2" }, "--seeds: seed 2 is listed twice")]
    [InlineData(new[] { "seeds", "--seeds", "," }, "--seeds: give at least one seed")]
    [InlineData(new[] { "mark", "--data", "/no/such/data.jsonl" }, "/no/such/data.jsonl: marking data file not found")]
    [InlineData(new[] { "mark", "--min-length", "900", "--max-length", "300" }, "--min-length 900 and --max-length 300: need 1 <= min <= max")]
    [InlineData(new[] { "eval", "--suite", "Ruler", "--lengths", "8192" }, "--lengths: 8192 tokens is longer than the model's max_position_embeddings (4096, ")]
    public void Errors_are_one_line_with_a_nonzero_exit(string[] args, string expected)
    {
        var (code, error) = Run(args);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("   at ", error); // no stack trace
        Assert.StartsWith("error: ", error);
    }

    [Fact]
    public void Marking_user_data_writes_every_line_or_nothing()
    {
        var dir = Path.Combine(Path.GetTempPath(), "sdtp-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            TinyCheckpoint.Write(dir);
            var data = Path.Combine(dir, "data.jsonl");
            var output = Path.Combine(dir, "marked.jsonl");
            File.WriteAllLines(data, ["{\"prompt\": \"Capital of France?\", \"answer\": \" Paris\"}", "{\"text\": 3}"]);
            var (code, error) = Run("mark", "--model", dir, "--data", data, "--out", output);
            Assert.Equal(1, code);
            Assert.Contains($"{data}: line 2: field 'text': expected a string, got number", error);
            Assert.False(File.Exists(output));
            File.WriteAllLines(data, ["{\"prompt\": \"Capital of France?\", \"answer\": \" Paris\", \"id\": 1}", "", "{\"text\": \"The quick brown fox jumps over the lazy dog.\"}"]);
            (code, error) = Run("mark", "--model", dir, "--data", data, "--out", output);
            Assert.True(code == 0, error);
            var marked = Sdtp.Evaluation.MarkedSampleStore.Load(output);
            Assert.Equal(2, marked.Count);
            Assert.Equal(6, marked[0].Targets.Count(t => t));
            Assert.Equal(11, marked[1].Targets.Count(t => t)); // the last quarter of 44 characters
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_missing_marked_file_names_the_file_and_the_command_to_run()
    {
        var dir = Path.Combine(Path.GetTempPath(), "sdtp-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            TinyCheckpoint.Write(dir);
            var (code, error) = Run("train-heads", "--model", dir, "--marked", Path.Combine(dir, "none.jsonl"));
            Assert.Equal(1, code);
            Assert.Contains("none.jsonl: marked samples file not found (run 'sdtp mark' first)", error);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
