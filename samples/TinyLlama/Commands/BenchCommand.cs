using System.CommandLine;
using Sdtp.Evaluation.Measurement;
using Sdtp.Generation;
using Spectre.Console;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary><c>sdtp bench</c>: dense vs SDTP prefill latency (interleaved medians) and peak memory at several lengths.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var source = new ModelOptions(withHeads: true);
        var lengths = new Option<int[]>("--lengths") { Description = "prompt lengths", DefaultValueFactory = _ => [1024, 2048, 4096], AllowMultipleArgumentsPerToken = true };
        var repeats = new Option<int>("--repeats") { Description = "timed runs per configuration (median reported)", DefaultValueFactory = _ => 7 };
        var warmup = new Option<int>("--warmup") { Description = "untimed runs first", DefaultValueFactory = _ => 2 };
        var decodeTokens = new Option<int>("--decode-tokens") { Description = "greedy decode steps timed per run after each prefill (0: no decode table)", DefaultValueFactory = _ => 64 };
        var kvBudget = new Option<int>("--kv-budget") { Description = "KV rows per layer kept by eviction in the sdtp+eviction decode (sinks and newest rows)", DefaultValueFactory = _ => 256 };
        var command = new Command("bench", "Measure dense vs SDTP prefill latency, peak memory and decode speed in one run.")
        {
            lengths, repeats, warmup, decodeTokens, kvBudget,
        };
        source.AddTo(command);
        command.SetAction(parse =>
        {
            CommonOptions.RequireAtLeastOne("--repeats", parse.GetValue(repeats));
            CommonOptions.RequireNonNegative("--warmup", parse.GetValue(warmup));
            CommonOptions.RequireNonNegative("--decode-tokens", parse.GetValue(decodeTokens));
            CommonOptions.RequireKvBudget(parse.GetValue(kvBudget));
            using var session = source.Open(parse, loadHeads: true);
            Sdtp.Evaluation.EvaluationSettings.CheckLengths("--lengths", parse.GetValue(lengths)!, session.Model.Config, Path.Combine(session.Directory, "config.json"));
            var bench = new PerformanceBenchmark(session.Model);
            var prefills = new Dictionary<string, Prefill> { ["dense"] = (m, ids, cache) => m.Forward(ids, cache: cache), ["sdtp"] = session.SdtpPrefill() };
            var rows = bench.PrefillLatency(prefills, parse.GetValue(lengths)!, parse.GetValue(warmup), parse.GetValue(repeats), p => Console.WriteLine($"  {p}"));
            var table = new Table().Title($"prefill, median of {parse.GetValue(repeats)} ({(session.UsesGeneratedForward ? "generated" : "reference")} SDTP forward)");
            foreach (var c in new[] { "tokens", "dense ms", "sdtp ms", "speedup", "dense peak RSS MiB", "sdtp peak RSS MiB", "dense heap MiB", "sdtp heap MiB" })
                table.AddColumn(c);
            foreach (var row in rows)
            {
                int n = (int)row["seq_len"];
                var dense = bench.PeakPrefillMemory(prefills["dense"], n);
                var sdtp = bench.PeakPrefillMemory(prefills["sdtp"], n);
                table.AddRow(n.ToString(), PerformanceBenchmark.Ms(row["dense_ms"]), PerformanceBenchmark.Ms(row["sdtp_ms"]), $"{row["speedup_sdtp"]:F2}x",
                    Mib(dense.PeakResidentBytes), Mib(sdtp.PeakResidentBytes), Mib(dense.PeakHeapGrowthBytes), Mib(sdtp.PeakHeapGrowthBytes));
            }
            AnsiConsole.Write(table);
            if (parse.GetValue(decodeTokens) > 0) AnsiConsole.Write(DecodeTable(bench, prefills, parse.GetValue(lengths)!, parse.GetValue(decodeTokens), parse.GetValue(kvBudget), parse.GetValue(warmup), parse.GetValue(repeats)));
            return 0;
        });
        return command;
    }

    // Decode after each prefill, interleaved: dense, SDTP, and SDTP with sink-window eviction at the budget.
    private static Table DecodeTable(PerformanceBenchmark bench, Dictionary<string, Prefill> prefills, int[] lengths, int tokens, int budget, int warmup, int repeats)
    {
        var eviction = new Sdtp.Pruning.SinkWindowEviction(budget);
        var setups = new Dictionary<string, PerformanceBenchmark.DecodeSetup>
        {
            ["dense"] = new(prefills["dense"]), ["sdtp"] = new(prefills["sdtp"]), ["sdtp+eviction"] = new(prefills["sdtp"], eviction),
        };
        var table = new Table().Title($"decode tokens/s, {tokens} greedy steps after the prompt, median of {repeats} (eviction: {budget} rows + blocks of {eviction.Block})");
        foreach (var c in new[] { "prompt tokens", "dense", "sdtp", "sdtp + eviction" }) table.AddColumn(c);
        foreach (var length in lengths)
        {
            Console.WriteLine($"  decode after {length} tokens");
            var speeds = bench.DecodeSpeeds(setups, length, tokens, warmup, repeats);
            table.AddRow(length.ToString(), F(speeds["dense"]), F(speeds["sdtp"]), F(speeds["sdtp+eviction"]));
        }
        return table;
    }

    private static string F(double value) => value.ToString("F0", System.Globalization.CultureInfo.InvariantCulture);

    private static string Mib(long? bytes) => bytes is long b ? (b / 1024.0 / 1024.0).ToString("F1", System.Globalization.CultureInfo.InvariantCulture) : "n/a";
}
