using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sdtp.Evaluation.Reporting;

/// <summary>One retrieval family's result for every seed: dense once, each seed's heads alone.</summary>
public sealed record SeedSpreadRow
{
    /// <summary>The task's name.</summary>
    public required string Task { get; init; }
    /// <summary>The dense model on the same samples.</summary>
    public required PolicyScore Dense { get; init; }
    /// <summary>Each seed's SDTP score, by seed.</summary>
    public required Dictionary<string, PolicyScore> Seeds { get; init; }
    /// <summary>Median over seeds of retention (policy / dense).</summary>
    public required double MedianRetention { get; init; }
    /// <summary>Lowest retention of any seed.</summary>
    public required double WorstRetention { get; init; }
}

/// <summary>
/// How much trained heads depend on their seed: every seed's heads trained alone with the same recipe, scored on the
/// same evaluation samples, with the median and the worst seed per family (what a careful reader asks for instead of
/// the best draw). Written as <c>seeds.json</c> and <c>seeds.md</c> by <c>sdtp seeds</c>.
/// </summary>
public static class SeedSpread
{
    /// <summary>The prefix of each seed's policy name in the scores (<c>seed_3</c>).</summary>
    public const string SeedPrefix = "seed_";

    /// <summary>Rows from evaluator scores holding "dense" and one <see cref="SeedPrefix"/> policy per seed.</summary>
    public static List<SeedSpreadRow> Rows(Dictionary<string, Dictionary<string, PolicyScore>> scores) =>
        scores.Where(t => t.Value["dense"].Accuracy is not null).Select(t =>
        {
            var seeds = t.Value.Where(p => p.Key.StartsWith(SeedPrefix, StringComparison.Ordinal)).ToDictionary(p => p.Key[SeedPrefix.Length..], p => p.Value);
            var retention = seeds.Values.Select(s => s.Retention).Order().ToList();
            double median = retention.Count % 2 == 1 ? retention[retention.Count / 2] : (retention[retention.Count / 2 - 1] + retention[retention.Count / 2]) / 2;
            return new SeedSpreadRow { Task = t.Key, Dense = t.Value["dense"], Seeds = seeds, MedianRetention = median, WorstRetention = retention[0] };
        }).ToList();

    /// <summary>seeds.json text.</summary>
    public static string ToJson(IReadOnlyList<SeedSpreadRow> rows) => JsonSerializer.Serialize(rows, EvaluationReport.JsonOptions);

    /// <summary>seeds.md text: a row per family, a column per seed (accuracy [interval] (retention)), then median and worst.</summary>
    public static string ToMarkdown(IReadOnlyList<SeedSpreadRow> rows, string heading)
    {
        var md = new StringBuilder($"# {heading}").AppendLine().AppendLine();
        var seeds = rows[0].Seeds.Keys.ToList();
        md.AppendLine("| task | dense | " + string.Join(" | ", seeds.Select(s => "seed " + s)) + " | median retention | worst retention |");
        md.AppendLine("| --- | --- |" + string.Concat(seeds.Select(_ => " --- |")) + " --- | --- |");
        foreach (var row in rows)
            md.AppendLine($"| {row.Task} | {ScoreCell.Accuracy(row.Dense)} | " + string.Join(" | ", seeds.Select(s => ScoreCell.Accuracy(row.Seeds[s]))) +
                $" | {F(row.MedianRetention, 3)} | {F(row.WorstRetention, 3)} |");
        md.AppendLine().AppendLine("Cells: accuracy [95% Wilson interval] (retention = seed / dense on the same samples). Each seed's heads were trained alone.");
        return md.ToString();
    }

    private static string F(double v, int digits) => v.ToString("F" + digits, CultureInfo.InvariantCulture);
}
