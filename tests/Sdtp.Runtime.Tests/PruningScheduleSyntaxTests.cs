using Sdtp.Pruning;
using Xunit;

namespace Sdtp.Runtime.Tests;

public sealed class PruningScheduleSyntaxTests
{
    [Fact]
    public void Each_form_reads_to_the_schedule_the_attributes_would_give()
    {
        Assert.Equal(PruningSchedule.Geometric(2, 2, 3, 0.9).Stages, PruningScheduleSyntax.Parse("geometric:first=2,every=2,stages=3,ratio=0.9", 8).Stages);
        Assert.Equal(PruningSchedule.Geometric(1, 1, 7, 0.8).Stages, PruningScheduleSyntax.Parse(" Geometric:stages=7, ratio=0.8 ,first=1", 8).Stages);
        var explicitSchedule = PruningScheduleSyntax.Parse("4:0.9,6:0.5;initial=2,recent=0.25", 8);
        Assert.Equal([new PruningStage(4, 0.9), new PruningStage(6, 0.5)], explicitSchedule.Stages);
        Assert.Equal(new AlwaysKeepTokens(2, 0.25), explicitSchedule.AlwaysKeep);
        Assert.Equal(new AlwaysKeepTokens(), PruningScheduleSyntax.Parse("4:0.9", 8).AlwaysKeep);
        Assert.Empty(PruningScheduleSyntax.Parse("dense", 1).Stages);
    }

    [Theory]
    [InlineData("4:0.9,6:0.5;initial=2,recent=0.25")]
    [InlineData("1:0.1;initial=0,recent=0")]
    [InlineData("dense;initial=4,recent=0.1")]
    [InlineData("3:0.30000000000000004;initial=4,recent=0.1")]
    public void Format_reads_back_to_the_same_schedule(string text)
    {
        var schedule = PruningScheduleSyntax.Parse(text, 8);
        Assert.Equal(text, PruningScheduleSyntax.Format(schedule));
        Assert.True(PruningScheduleSyntax.SameSchedule(schedule, PruningScheduleSyntax.Parse(PruningScheduleSyntax.Format(schedule), 8)));
    }

    [Theory]
    [InlineData("", "no stages (write 'dense' for none)")]
    [InlineData("4-0.9", "stage '4-0.9' is not LAYER:KEEP")]
    [InlineData("4:0.9,x:0.5", "layer 'x' is not a whole number")]
    [InlineData("4:abc", "keep ratio 'abc' is not a finite number")]
    [InlineData("4:NaN", "keep ratio 'NaN' is not a finite number")]
    [InlineData("geometric:first=1,stages=3", "geometric schedule without 'ratio='")]
    [InlineData("geometric:first=1,stages=3,ratio=0.9,depth=2", "unknown geometric field 'depth' (known: first, every, stages, ratio)")]
    [InlineData("geometric:first=1,first=2,stages=3,ratio=0.9", "geometric field 'first' given twice")]
    [InlineData("4:0.9;initial", "'initial' is not NAME=VALUE in the always-keep part")]
    [InlineData("4:0.9;a=1;b=2", "more than one ';'")]
    [InlineData("geometric:first=4,every=2,stages=3,ratio=0.9", "puts its last stage at layer 8, past the last prunable layer 7 (SDTP010)")]
    [InlineData("9:0.9", "stage 0: Pruning layer 9 is outside [1, 7] for a model with NumLayers = 8 (SDTP003)")]
    public void Mistakes_name_the_part_that_is_wrong(string text, string expected)
    {
        var e = Assert.Throws<PruningScheduleException>(() => PruningScheduleSyntax.Parse(text, 8));
        Assert.StartsWith($"schedule '{text}': ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_one_layer_model_can_only_run_dense()
    {
        var e = Assert.Throws<PruningScheduleException>(() => PruningScheduleSyntax.Parse("1:0.5", 1));
        Assert.Contains("NumLayers = 1: a model needs at least 2 layers", e.Message);
    }
}
