using System.Globalization;

namespace Sdtp.Evaluation.Reporting;

/// <summary>How a retrieval score reads in every table: accuracy [95% interval] (retention).</summary>
public static class ScoreCell
{
    /// <summary><c>0.975 [0.87, 1.00] (0.97)</c>, or without the interval when the score has none.</summary>
    public static string Accuracy(PolicyScore score) => score.Interval is [var low, var high]
        ? $"{F(score.Accuracy ?? 0, 3)} [{F(low, 2)}, {F(high, 2)}] ({F(score.Retention, 2)})"
        : $"{F(score.Accuracy ?? 0, 3)} ({F(score.Retention, 2)})";

    private static string F(double v, int digits) => v.ToString("F" + digits, CultureInfo.InvariantCulture);
}
