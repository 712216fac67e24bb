namespace Sdtp.Serving.Tests;

public class StopSequenceFilterTests
{
    [Fact]
    public void Text_is_cut_at_a_stop_sequence_and_no_part_of_one_is_released()
    {
        var filter = new StopSequenceFilter(["\nUser:"]);
        var released = new[] { "Red", " is nice", "\n", "Us", "er: more" }.Select(filter.Push).ToList();
        Assert.Equal(["Red", " is nice", "", "", ""], released);
        Assert.True(filter.Stopped);
        Assert.Equal("", filter.Flush());
    }

    [Fact]
    public void A_held_prefix_that_turns_out_not_to_stop_is_released()
    {
        var filter = new StopSequenceFilter(["<|im_end|>"]);
        Assert.Equal("a", filter.Push("a<|im"));
        Assert.Equal("<|im_start", filter.Push("_start"));
        Assert.Equal("x<|", filter.Push("x<|") + filter.Flush());
        Assert.False(filter.Stopped);
    }
}
