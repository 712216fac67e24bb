using Sdtp.Samples.TinyLlama.Commands;

namespace Sdtp.Samples.Tests;

[CollectionDefinition(nameof(ConsoleRedirect), DisableParallelization = true)]
public sealed class ConsoleRedirect;

/// <summary>Bad arguments and missing files: one clear line on stderr, a non-zero exit, no stack trace.</summary>
[Collection(nameof(ConsoleRedirect))]
public class CliErrorTests
{
    private static (int Code, string Error) Run(params string[] args) => RunRoot(Cli.CreateRoot(), args);

    [Theory]
    [InlineData(new[] { "eval", "--model", "/no/such/dir" }, "/no/such/dir: model directory not found")]
    [InlineData(new[] { "train-heads", "--model", "/no/such/dir" }, "/no/such/dir: model directory not found")]
    [InlineData(new[] { "train-heads", "--candidates", "0" }, "--candidates must be at least 1 (got 0)")]
    [InlineData(new[] { "demo", "--candidates", "-2" }, "--candidates must be at least 1 (got -2)")]
    [InlineData(new[] { "train-base", "--lengths", "512", "1024", "--max-keys", "6" }, "--lengths has 2 stages but --max-keys has 1")]
    [InlineData(new[] { "train-base", "--lengths", "512", "1024", "--max-keys", "6", "6", "--restated-cues", "0.5" }, "--restated-cues has 1 entries for 2 stages: give one per length, or none")]
    [InlineData(new[] { "train-base", "--lengths", "512", "--max-keys", "6", "--restated-cues", "1.5" }, "--restated-cues must lie in [0, 1] (got 1.5)")]
    [InlineData(new[] { "train-base", "--lengths", "512", "--max-keys", "6", "--adjacent-needles", "0.5", "0.5" }, "--adjacent-needles has 2 entries for 1 stages: give one per length, or none")]
    [InlineData(new[] { "train-base", "--lengths", "128", "512", "--max-keys", "4", "6", "--key-drill", "0.5", "1.2" }, "--key-drill must lie in [0, 1] (got 0.5 1.2)")]
    [InlineData(new[] { "train-base", "--task-weights", "vt" }, "--task-weights: 'vt' is not NAME=WEIGHT (for example vt=4)")]
    [InlineData(new[] { "train-base", "--task-weights", "vt=2", "vt=3" }, "--task-weights: 'vt' is given twice")]
    [InlineData(new[] { "train-base", "--context-weight", "1.5" }, "--context-weight must be between 0 and 1 (got 1.5)")]
    [InlineData(new[] { "train-base", "--avoid-repeats", "-1" }, "--avoid-repeats must be 0 or more (got -1)")]
    [InlineData(new[] { "train-base", "--drill-forms", "Lookups" }, "Cannot parse argument 'Lookups' for option '--drill-forms'")]
    [InlineData(new[] { "train-base", "--multikey-questions", "0" }, "--multikey-questions must be at least 1 (got 0)")]
    [InlineData(new[] { "train-base", "--widen", "2" }, "--widen needs --start-from: it widens a trained model")]
    [InlineData(new[] { "train-base", "--widen", "2", "--start-from", "/no/such/model", "--config", "/no/such/config.json" }, "--widen and --config both set the architecture: give one")]
    [InlineData(new[] { "train-base", "--add-layers", "-1" }, "--add-layers must be 0 or more (got -1)")]
    [InlineData(new[] { "train-base", "--add-layers", "4" }, "--add-layers needs --start-from: it deepens a trained model")]
    [InlineData(new[] { "train-base", "--add-layers", "4", "--start-from", "/no/such/model", "--config", "/no/such/config.json" }, "--add-layers and --config both set the architecture: give one")]
    [InlineData(new[] { "train-base", "--out", "/tmp/sdtp-cli-never", "--start-from", "/no/such/model" }, "the checkpoint to start from has no config.json: /no/such/model")]
    [InlineData(new[] { "demo", "--samples-per-step", "0" }, "--samples-per-step must be at least 1 (got 0)")]
    [InlineData(new[] { "train-heads", "--targets", "Sentence" }, "Cannot parse argument 'Sentence' for option '--targets'")]
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
    [InlineData(new[] { "eval", "--samples", "-1" }, "--samples must be at least 1 (got -1)")]
    [InlineData(new[] { "eval", "--lengths", "-5" }, "--lengths: -5 is not a prompt length (must be at least 1)")]
    [InlineData(new[] { "eval", "--latency-lengths", "0" }, "--latency-lengths: 0 is not a prompt length")]
    [InlineData(new[] { "eval", "--repeats", "0" }, "--repeats must be at least 1 (got 0)")]
    [InlineData(new[] { "mark", "--samples", "-3" }, "--samples must be at least 1 (got -3)")]
    [InlineData(new[] { "mark", "--data", "x.jsonl", "--min-length", "900" }, "--min-length applies to generated samples; with --data every line is marked as it is")]
    [InlineData(new[] { "generate", "--prompt", "hi", "--max-tokens", "2147483647" }, "--max-tokens 2147483647: the prompt (3 tokens) leaves room for at most 4093 new tokens in the model's context of 4096")]
    [InlineData(new[] { "generate", "--prompt", "hi", "--max-tokens", "-1" }, "--max-tokens must be 0 or more (got -1)")]
    [InlineData(new[] { "generate", "--prompt", "hi", "--temperature", "Infinity" }, "--temperature must be a finite number, 0 or more (got Infinity)")]
    [InlineData(new[] { "generate", "--prompt", "hi", "--temperature", "NaN" }, "--temperature must be a finite number, 0 or more (got NaN)")]
    [InlineData(new[] { "generate", "--prompt", "hi", "--top-p", "1.5" }, "--top-p must be in (0, 1] (got 1.5)")]
    [InlineData(new[] { "generate", "--prompt", "hi", "--kv-budget", "3" }, "--kv-budget must exceed the 4 attention-sink rows every layer keeps (got 3)")]
    [InlineData(new[] { "generate", "--prompt", "caf\uFFFD" }, "--prompt is not valid UTF-8 (or holds U+FFFD at character 3)")]
    [InlineData(new[] { "train-heads", "--steps", "0" }, "--steps must be at least 1 (got 0)")]
    [InlineData(new[] { "train-heads", "--checkpoint-every", "-1" }, "--checkpoint-every must be 0 or more (got -1)")]
    [InlineData(new[] { "train-base", "--minutes", "-1" }, "--minutes must be a positive number (got -1)")]
    [InlineData(new[] { "train-base", "--lr", "NaN" }, "--lr must be a positive number (got NaN)")]
    [InlineData(new[] { "train-base", "--max-steps", "0" }, "--max-steps must be at least 1 (got 0)")]
    [InlineData(new[] { "train-base", "--lengths", "4096", "--max-keys", "6" }, "--lengths 4096: training samples reach 1.5x the length (6144 tokens), more than the architecture's max_position_embeddings (4096)")]
    [InlineData(new[] { "train-base", "--lengths", "1024", "--max-keys", "6", "--mix-lengths", "1024", "3072" }, "--mix-lengths 3072: training samples reach 1.5x the length (4608 tokens), more than the architecture's max_position_embeddings (4096)")]
    [InlineData(new[] { "train-base", "--mix-lengths", "8" }, "--mix-lengths must be at least 16 tokens each (got 8)")]
    [InlineData(new[] { "train-base", "--compute-dtype", "f16" }, "--compute-dtype must be f32 or bf16 (got f16): f16 gradients underflow without loss scaling")]
    [InlineData(new[] { "train-base", "--compute-dtype", "int8" }, "--compute-dtype must be f32, bf16 or f16 (got int8)")]
    [InlineData(new[] { "bench", "--lengths", "0" }, "--lengths: 0 is not a prompt length (must be at least 1)")]
    [InlineData(new[] { "bench", "--lengths", "8192" }, "--lengths: 8192 tokens is longer than the model's max_position_embeddings (4096, ")]
    [InlineData(new[] { "bench", "--warmup", "-1" }, "--warmup must be 0 or more (got -1)")]
    [InlineData(new[] { "bench", "--repeats", "0" }, "--repeats must be at least 1 (got 0)")]
    [InlineData(new[] { "eval", "--lengths", "100" }, "--lengths 100: too short for passkey, whose intro, needles and question alone take about 149 tokens")]
    [InlineData(new[] { "mark", "--suite", "Ruler", "--min-length", "256" }, "--min-length 256: too short for ")]
    [InlineData(new[] { "eval", "--out", "/etc/hostname" }, "--out /etc/hostname: is a file, not a directory")]
    [InlineData(new[] { "mark", "--out", "/etc/hostname/marked.jsonl" }, "--out /etc/hostname: is a file, not a directory")]
    [InlineData(new[] { "mark", "--out", "/tmp" }, "--out /tmp: is a directory; give a file name")]
    public void Errors_are_one_line_with_a_nonzero_exit(string[] args, string expected)
    {
        var (code, error) = Run(args);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("   at ", error); // no stack trace
        Assert.StartsWith("error: ", error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public void Unexpected_failures_name_their_type_and_point_to_verbose_which_prints_the_stack()
    {
        RootCommandWith Throwing() => new(() => throw new InvalidOperationException("the cache is empty\nsecond line of a native trace"));
        var (code, error) = RunRoot(Throwing().Root);
        Assert.Equal(1, code);
        Assert.Equal("error: unexpected InvalidOperationException: the cache is empty (rerun with --verbose to see where it happened)", error.TrimEnd());
        (code, error) = RunRoot(Throwing().Root, "--verbose");
        Assert.Equal(1, code);
        Assert.StartsWith("error: unexpected InvalidOperationException: the cache is empty\n", error.ReplaceLineEndings("\n"));
        Assert.Contains("   at ", error);

        // An input problem stays one line, whatever its type.
        (code, error) = RunRoot(new RootCommandWith(() => throw new ArgumentOutOfRangeException("budget", 3, "must exceed the 4 sink rows")).Root);
        Assert.Equal("error: budget must exceed the 4 sink rows (got 3)", error.TrimEnd());
    }

    private sealed class RootCommandWith
    {
        public RootCommandWith(Action action)
        {
            Root = new System.CommandLine.RootCommand("test");
            Root.Options.Add(CommandLineErrors.Verbose);
            Root.SetAction(_ => { action(); return 0; });
        }

        public System.CommandLine.RootCommand Root { get; }
    }

    private static (int Code, string Error) RunRoot(System.CommandLine.RootCommand root, params string[] args)
    {
        var saved = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        try
        {
            return (CommandLineErrors.Run(root, args), error.ToString());
        }
        finally
        {
            Console.SetError(saved);
        }
    }

    [Fact]
    public void A_config_too_large_for_memory_is_refused_before_allocating()
    {
        using var folder = new TempFolder();
        var dir = folder.Path;
        TinyCheckpoint.Write(dir);
        var config = Path.Combine(dir, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"vocab_size\": 259", "\"vocab_size\": 2000000000"));
        var (code, error) = Run("generate", "--model", dir, "--prompt", "hi", "--dense");
        Assert.Equal(1, code);
        Assert.Matches(@"^error: .*config\.json: the model needs about [\d,.]+ GiB for its parameters at Float32 \(.*vocab_size 2000000000\) but only [\d,.]+ GiB of memory is available\s*$", error);
    }

    [Fact]
    public void Head_training_resumes_says_when_it_is_finished_and_refuses_other_options()
    {
        using var folder = new TempFolder();
        var dir = folder.Path;
        TinyCheckpoint.Write(dir);
        var marked = Path.Combine(dir, "marked.jsonl");
        var heads = Path.Combine(dir, "heads.safetensors");
        var (code, error) = Run("mark", "--model", dir, "--samples", "2", "--min-length", "256", "--max-length", "288", "--out", marked);
        Assert.True(code == 0, error);
        string[] train = ["train-heads", "--model", dir, "--marked", marked, "--out", heads, "--steps", "3"];
        (code, error) = Run(train);
        Assert.True(code == 0, error);
        Assert.True(File.Exists(heads));
        Assert.True(File.Exists(Path.Combine(heads + ".training", "trainer_state.json")));

        var (again, output) = RunWithOutput(train);
        Assert.Equal(0, again);
        Assert.Contains("already holds all 3 steps: training is finished", output);

        (code, error) = Run([.. train[..^1], "4"]);
        Assert.Equal(1, code);
        Assert.Contains("the checkpoint belongs to a run with steps 3 (this run: 4)", error);
        (code, error) = Run([.. train, "--seed", "5"]);
        Assert.Contains("seed 0 (this run: 5)", error);
    }

    private static (int Code, string Output) RunWithOutput(params string[] args)
    {
        var saved = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(output) });
        try
        {
            return (CommandLineErrors.Run(Cli.CreateRoot(), args), output.ToString());
        }
        finally
        {
            Console.SetOut(saved);
            Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings());
        }
    }

    [Fact]
    public void Marking_user_data_writes_every_line_or_nothing()
    {
        using var folder = new TempFolder();
        var dir = folder.Path;
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

    [Fact]
    public void A_missing_marked_file_names_the_file_and_the_command_to_run()
    {
        using var folder = new TempFolder();
        var dir = folder.Path;
        TinyCheckpoint.Write(dir);
        var (code, error) = Run("train-heads", "--model", dir, "--marked", Path.Combine(dir, "none.jsonl"));
        Assert.Equal(1, code);
        Assert.Contains("none.jsonl: marked samples file not found (run 'sdtp mark' first)", error);
    }
}
