namespace Sdtp.Evaluation.Tests;

public class WilsonIntervalTests
{
    [Theory]
    // Values from the closed form, computed by hand: z = 1.96.
    [InlineData(39, 40, 0.8712, 0.9956)]
    [InlineData(40, 40, 0.9124, 1.0)]
    [InlineData(0, 10, 0.0, 0.2775)]
    [InlineData(50, 100, 0.4038, 0.5962)]
    public void Matches_the_closed_form(int right, int total, double low, double high)
    {
        var (l, h) = WilsonInterval.Of(right, total);
        Assert.Equal(low, l, 3);
        Assert.Equal(high, h, 3);
    }

    [Fact]
    public void Narrows_with_more_samples_and_always_holds_the_observed_share()
    {
        var (l40, h40) = WilsonInterval.Of(39, 40);
        var (l400, h400) = WilsonInterval.Of(390, 400);
        Assert.True(h400 - l400 < (h40 - l40) / 2.5);
        Assert.InRange(0.975, l400, h400);
    }

    [Fact]
    public void Refuses_impossible_counts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.Of(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.Of(5, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.Of(-1, 4));
    }
}
