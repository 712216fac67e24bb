using System.Globalization;
using System.Text;

namespace Sdtp.Evaluation.Reporting;

/// <summary>report.md: the report's numbers as tables a person reads.</summary>
public static class MarkdownWriter
{
    private static readonly string[] Order = ["dense", "sdtp", "oracle", "attention", "window", "random"];

    private static void AccuracyTable(StringBuilder md, Dictionary<string, Dictionary<string, PolicyScore>> tasks)
    {
        var policies = Order.Where(p => tasks.Values.First().ContainsKey(p)).ToList();
        md.AppendLine("| task | " + string.Join(" | ", policies) + " |");
        md.AppendLine("| --- |" + string.Concat(policies.Select(_ => " --- |")));
        foreach (var (task, scores) in tasks)
        {
            var cells = policies.Select(p => scores[p] switch
            {
                { Accuracy: not null } s => ScoreCell.Accuracy(s),
                { Perplexity: double ppl } s => $"ppl {F(ppl, 3)} ({F(s.Retention, 3)})",
                _ => "",
            });
            md.AppendLine($"| {task} | " + string.Join(" | ", cells) + " |");
        }
    }

    /// <summary>The markdown text of <paramref name="report"/>.</summary>
    public static string Write(EvaluationReport report)
    {
        var md = new StringBuilder();
        md.AppendLine("# SDTP evaluation report").AppendLine();
        md.AppendLine($"- date: {report.Date}").AppendLine($"- machine: {report.Machine}").AppendLine($"- model: {report.Model}");
        md.AppendLine($"- schedule: {report.Schedule}, SDTP through the {report.SdtpForward} forward").AppendLine($"- run time: {F(report.Seconds, 0)} s").AppendLine();

        md.AppendLine("## Accuracy (same keep budget for every policy)").AppendLine();
        AccuracyTable(md, report.Tasks);
        md.AppendLine().AppendLine("Cells: accuracy [95% Wilson interval] (retention = policy / dense on the same samples); for lm tasks, perplexity of the continuation (retention = dense / policy perplexity).").AppendLine();
        if (report.InDistribution is { Count: > 0 } inDistribution)
        {
            md.AppendLine("## Accuracy on the phrasings training used (in distribution)").AppendLine();
            AccuracyTable(md, inDistribution);
            md.AppendLine().AppendLine("The same families, evaluation seeds, with the needle and question phrasings, words and haystacks that base and head training read: the gap to the table above is what the template alone was worth.").AppendLine();
        }

        md.AppendLine("## Tokens and FLOPs").AppendLine();
        md.AppendLine($"- pruned fraction (input tokens dropped by the last stage): {F(report.PrunedFraction, 3)}");
        md.AppendLine($"- compression (original / mean tokens per layer): {F(report.Compression, 2)}x");
        md.AppendLine($"- tokens per layer at {report.TokensPerLayerLength}: {string.Join(", ", report.TokensPerLayer)}");
        md.AppendLine($"- prefill FLOPs at {report.Flops.SeqLen} tokens: dense {G(report.Flops.Dense)}, sdtp {G(report.Flops.Sdtp)}, reduction {F(report.Flops.Reduction * 100, 1)}% "
            + $"(paper's convention: {F(report.Flops.PaperConvention["reduction"] * 100, 1)}%)").AppendLine();

        md.AppendLine("## Prefill latency (median ms; speedup = dense / policy, same run)").AppendLine();
        var names = Order.Where(n => report.Latency[0].ContainsKey($"{n}_ms")).ToList();
        md.AppendLine("| tokens | " + string.Join(" | ", names.Select(n => n + " ms")) + " | " + string.Join(" | ", names.Skip(1).Select(n => "speedup " + n)) + " |");
        md.AppendLine("| --- |" + string.Concat(Enumerable.Repeat(" --- |", 2 * names.Count - 1)));
        foreach (var row in report.Latency)
            md.AppendLine($"| {row["seq_len"]} | " + string.Join(" | ", names.Select(n => F(row[$"{n}_ms"], 1))) + " | "
                + string.Join(" | ", names.Skip(1).Select(n => F(row[$"speedup_{n}"], 2) + "x")) + " |");
        md.AppendLine();

        md.AppendLine("## Decode, KV cache and memory").AppendLine();
        md.AppendLine("| configuration | KV cache after prefill | decode tokens/s |").AppendLine("| --- | --- | --- |");
        foreach (var (name, bytes) in report.KvCacheBytes)
            md.AppendLine($"| {name} | {F(bytes / 1024.0 / 1024.0, 2)} MiB | {F(report.DecodeTokensPerSecond[name], 1)} |");
        md.AppendLine().AppendLine($"Peak resident memory of one prefill at {report.Flops.SeqLen} tokens: "
            + string.Join(", ", report.PeakMemoryBytes.Select(kv => $"{kv.Key} {F(kv.Value / 1024.0 / 1024.0, 0)} MiB"))).AppendLine();
        if (report.PeakHeapGrowthBytes is { } heap)
            md.AppendLine($"Peak growth of the C heap in use during that prefill (its own working memory, sampled every 1 ms): "
                + string.Join(", ", heap.Select(kv => $"{kv.Key} {F(kv.Value / 1024.0 / 1024.0, 1)} MiB"))).AppendLine();

        var e = report.Efficiency;
        md.AppendLine("## Efficiency").AppendLine();
        md.AppendLine($"- at {e.SeqLen} tokens: measured speedup {F(e.MeasuredSpeedup, 2)}x of an analytic {F(e.AnalyticSpeedup, 2)}x ({F(e.SpeedupEfficiency * 100, 0)}%)");
        md.AppendLine($"- dense prefill {F(e.DenseGflops, 1)} GFLOP/s vs a plain fp32 matmul {F(e.MatmulGflops, 1)} GFLOP/s ({F(e.MachineEfficiency * 100, 0)}%)").AppendLine();

        md.AppendLine("## Saliency heads (held-out samples)").AppendLine();
        md.AppendLine("| layer | Spearman | pairwise accuracy |").AppendLine("| --- | --- | --- |");
        foreach (var h in report.Heads) md.AppendLine($"| {h.Layer} | {F(h.Spearman, 3)} | {F(h.PairwiseAccuracy, 3)} |");
        md.AppendLine();

        md.AppendLine("## Accuracy vs keep budget").AppendLine();
        var sweepPolicies = Order.Where(p => report.Sweep.Count > 0 && report.Sweep[0].Accuracy.ContainsKey(p)).ToList();
        md.AppendLine("| stage ratio | pruned fraction | " + string.Join(" | ", sweepPolicies) + " |");
        md.AppendLine("| --- | --- |" + string.Concat(sweepPolicies.Select(_ => " --- |")));
        foreach (var p in report.Sweep)
            md.AppendLine($"| {F(p.StageRatio, 2)} | {F(p.PrunedFraction, 3)} | " + string.Join(" | ", sweepPolicies.Select(n => F(p.Accuracy[n], 3))) + " |");
        return md.ToString();
    }

    private static string F(double value, int digits) => value.ToString("F" + digits, CultureInfo.InvariantCulture);

    private static string G(double flops) => (flops / 1e9).ToString("F2", CultureInfo.InvariantCulture) + " GFLOP";
}
