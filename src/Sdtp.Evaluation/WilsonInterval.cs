namespace Sdtp.Evaluation;

/// <summary>
/// The Wilson score interval of a proportion: for k right of n, the range that holds the true accuracy with 95%
/// confidence. Unlike the normal approximation it stays inside [0, 1] and is honest at 0 or n right.
/// </summary>
public static class WilsonInterval
{
    /// <summary>The z of a two-sided 95% interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>The interval of <paramref name="right"/> successes in <paramref name="total"/> trials.</summary>
    public static (double Low, double High) Of(int right, int total, double z = Z95)
    {
        if (total <= 0) throw new ArgumentOutOfRangeException(nameof(total), total, "an interval needs at least one sample");
        if (right < 0 || right > total) throw new ArgumentOutOfRangeException(nameof(right), right, $"right answers must be in [0, {total}]");
        double n = total, z2 = z * z;
        double center = (right + z2 / 2) / (n + z2);
        double half = z * Math.Sqrt(right * (n - right) / n + z2 / 4) / (n + z2);
        return (Math.Max(0, center - half), Math.Min(1, center + half));
    }
}
