using Sdtp.Samples.TinyLlama.Commands;

namespace Sdtp.Samples.Tests;

/// <summary>Every command that loads a model runs at bf16 and fp16, end to end on a tiny random checkpoint.</summary>
[Collection(nameof(ConsoleRedirect))]
public class HalfPrecisionCommandTests
{
    [Theory]
    [InlineData("bf16")]
    [InlineData("f16")]
    public void Mark_train_heads_eval_bench_and_generate_run_at_half_precision(string dtype)
    {
        using var folder = new TempFolder();
        var dir = folder.Path;
        TinyCheckpoint.Write(dir);
        var marked = Path.Combine(dir, "marked.jsonl");
        CliRunner.Succeeds("mark", "--model", dir, "--dtype", dtype, "--samples", "2", "--min-length", "256", "--max-length", "288", "--out", marked);
        CliRunner.Succeeds("train-heads", "--model", dir, "--dtype", dtype, "--marked", marked, "--steps", "2");
        CliRunner.Succeeds("eval", "--model", dir, "--dtype", dtype, "--samples", "1", "--lengths", "256", "--baselines", "random",
            "--latency-lengths", "256", "--repeats", "1", "--out", Path.Combine(dir, "eval"));
        CliRunner.Succeeds("bench", "--model", dir, "--dtype", dtype, "--lengths", "256", "--repeats", "1", "--warmup", "0");
        CliRunner.Succeeds("generate", "--model", dir, "--dtype", dtype, "--prompt", "hello", "--max-tokens", "3");
        CliRunner.Succeeds("generate", "--model", dir, "--dtype", dtype, "--prompt", "hello", "--max-tokens", "3", "--dense", "--kv-budget", "16");
    }

    [Fact]
    public void A_dtype_that_is_not_one_of_the_three_is_refused_by_name()
    {
        var (code, error) = CliRunner.Run("generate", "--prompt", "hi", "--dtype", "int8");
        Assert.Equal(1, code);
        Assert.Equal("error: --dtype must be f32, bf16 or f16 (got int8)", error.Trim());
    }
}
