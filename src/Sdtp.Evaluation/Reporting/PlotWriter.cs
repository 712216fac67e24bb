using ScottPlot;

namespace Sdtp.Evaluation.Reporting;

/// <summary>The PNG plots of a report: prefill latency vs length, accuracy vs keep budget, and which tokens each stage kept.</summary>
public static class PlotWriter
{
    private static readonly string[] Order = ["dense", "sdtp", "oracle", "attention", "window", "random"];

    /// <summary>Median prefill milliseconds against prompt length, one line per policy.</summary>
    public static void Latency(EvaluationReport report, string path)
    {
        var plot = new Plot();
        var lengths = report.Latency.Select(r => r["seq_len"]).ToArray();
        foreach (var name in Order)
        {
            if (!report.Latency[0].ContainsKey($"{name}_ms")) continue;
            var line = plot.Add.Scatter(lengths, report.Latency.Select(r => r[$"{name}_ms"]).ToArray());
            line.LegendText = name;
            line.LineWidth = name == "sdtp" ? 3 : 1.5f;
        }
        plot.Title("Prefill latency (median)");
        plot.XLabel("prompt length (tokens)");
        plot.YLabel("milliseconds");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 800, 500);
    }

    /// <summary>Mean retrieval accuracy against the share of tokens pruned, one line per policy.</summary>
    public static void Sweep(EvaluationReport report, string path)
    {
        var plot = new Plot();
        var points = report.Sweep.OrderBy(p => p.PrunedFraction).ToList();
        var xs = points.Select(p => p.PrunedFraction).ToArray();
        foreach (var name in Order)
        {
            if (!points[0].Accuracy.ContainsKey(name)) continue;
            var line = plot.Add.Scatter(xs, points.Select(p => p.Accuracy[name]).ToArray());
            line.LegendText = name;
            line.LineWidth = name == "sdtp" ? 3 : 1.5f;
        }
        plot.Title("Retrieval accuracy vs tokens pruned (same budget for every policy)");
        plot.XLabel("share of input tokens pruned by the last stage");
        plot.YLabel("exact-match accuracy");
        plot.Axes.SetLimitsY(-0.05, 1.05);
        plot.ShowLegend(Alignment.LowerLeft);
        plot.SavePng(path, 800, 500);
    }

    /// <summary>
    /// One sample, one row per stage input plus one per stage output: normalised saliency of each token (colour) where
    /// the token is present, blank where it was pruned before that point.
    /// </summary>
    /// <param name="saliency">Per stage, normalised saliency of every prompt token.</param>
    /// <param name="kept">Per stage, the original positions that survived it.</param>
    public static void Heatmap(IReadOnlyList<float[]> saliency, IReadOnlyList<long[]> kept, IReadOnlyList<int> layers, string title, string path)
    {
        int tokens = saliency[0].Length, rows = saliency.Count;
        var grid = new double[rows, tokens];
        var present = Enumerable.Repeat(true, tokens).ToArray();
        for (int s = 0; s < rows; s++)
        {
            for (int t = 0; t < tokens; t++) grid[rows - 1 - s, t] = present[t] ? saliency[s][t] : double.NaN;
            var survivors = kept[s].ToHashSet();
            for (int t = 0; t < tokens; t++) present[t] &= survivors.Contains(t);
        }
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(grid);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.NaNCellColor = Colors.White;
        plot.Add.ColorBar(heatmap);
        plot.Title(title);
        plot.XLabel("token position (blank: pruned before this stage)");
        plot.YLabel("stage (layer) input, last stage on top");
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, rows).Select(i => (double)i).ToArray(),
            Enumerable.Range(0, rows).Select(i => $"layer {layers[i]}").ToArray());
        plot.SavePng(path, 1200, 120 + 45 * rows);
    }
}
