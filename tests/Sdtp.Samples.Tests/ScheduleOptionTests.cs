using Sdtp.Pruning;
using Sdtp.Samples.TinyLlama.Commands;

namespace Sdtp.Samples.Tests;

/// <summary><c>--schedule</c> and the schedule heads files record, end to end on tiny random checkpoints.</summary>
[Collection(nameof(ConsoleRedirect))]
public class ScheduleOptionTests
{
    [Fact]
    public void A_schedule_the_analyzer_would_refuse_is_refused_with_its_words()
    {
        using var folder = new TempFolder();
        TinyCheckpoint.Write(folder.Path);
        var (code, error) = CliRunner.Run("generate", "--model", folder.Path, "--prompt", "hi", "--schedule", "9:0.9");
        Assert.Equal(1, code);
        Assert.Equal("error: --schedule: schedule '9:0.9': stage 0: Pruning layer 9 is outside [1, 7] for a model with NumLayers = 8 (SDTP003)", error.Trim());
        (code, error) = CliRunner.Run("generate", "--model", folder.Path, "--prompt", "hi", "--schedule", "geometric:first=1,stages=3");
        Assert.Contains("geometric schedule without 'ratio='", error);
    }

    [Fact]
    public void A_checkpoint_of_another_depth_needs_a_schedule_and_its_heads_remember_it()
    {
        using var folder = new TempFolder();
        var dir = folder.Path;
        TinyCheckpoint.Write(dir, layers: 4);
        var marked = Path.Combine(dir, "marked.jsonl");
        string[] mark = ["mark", "--model", dir, "--samples", "2", "--min-length", "256", "--max-length", "288", "--out", marked];
        var (code, error) = CliRunner.Run(mark);
        Assert.Equal(1, code);
        Assert.Contains("a 4-layer checkpoint has no schedule (the annotated TinyLlama class has 8 layers): pass --schedule, 'LAYER:KEEP,...'", error);
        // Dense generation needs no schedule.
        Assert.Equal(0, CliRunner.Run("generate", "--model", dir, "--prompt", "hi", "--max-tokens", "2", "--dense").Code);

        (code, error) = CliRunner.Run([.. mark, "--schedule", "1:0.6,2:0.6"]);
        Assert.True(code == 0, error);
        (code, error) = CliRunner.Run("train-heads", "--model", dir, "--marked", marked, "--steps", "2", "--schedule", "1:0.6,2:0.6");
        Assert.True(code == 0, error);
        var heads = Path.Combine(dir, SaliencyHeads.FileName);
        Assert.Equal("1:0.6,2:0.6;initial=4,recent=0.1", PruningScheduleSyntax.Format(SaliencyHeads.ReadInfo(heads).Schedule!));

        // Without --schedule the heads' own schedule is used; another one is refused naming both.
        (code, error) = CliRunner.Run("generate", "--model", dir, "--prompt", "hi", "--max-tokens", "2");
        Assert.True(code == 0, error);
        (code, error) = CliRunner.Run("generate", "--model", dir, "--prompt", "hi", "--max-tokens", "2", "--schedule", "1:0.6");
        Assert.Equal(1, code);
        Assert.Contains("the heads were trained for schedule '1:0.6,2:0.6;initial=4,recent=0.1', but this model prunes with '1:0.6;initial=4,recent=0.1'", error);

        // The same heads on a model of another architecture (one key/value head) are refused by signature.
        using var otherFolder = new TempFolder();
        TinyCheckpoint.Write(otherFolder.Path, layers: 4, keyValueHeads: 1);
        (code, error) = CliRunner.Run("generate", "--model", otherFolder.Path, "--heads", heads, "--prompt", "hi", "--max-tokens", "2");
        Assert.Equal(1, code);
        Assert.Contains("the heads were trained on a model of signature", error);
    }
}
