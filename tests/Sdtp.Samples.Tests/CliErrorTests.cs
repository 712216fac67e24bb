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
    public void Errors_are_one_line_with_a_nonzero_exit(string[] args, string expected)
    {
        var (code, error) = Run(args);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("   at ", error); // no stack trace
        Assert.StartsWith("error: ", error);
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
