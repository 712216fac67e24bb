using System.Globalization;

namespace Sdtp.Pruning;

/// <summary>
/// A pruning schedule as one line of text, for a checkpoint that has no annotated class (the CLI's <c>--schedule</c>)
/// and for the schedule a heads file records:
/// <list type="bullet">
/// <item><c>4:0.9,6:0.9</c>: stages listed as layer:keep-ratio (what <c>[PruneAt(4, 0.9)]</c> says);</item>
/// <item><c>geometric:first=4,every=2,stages=10,ratio=0.9</c>: what <c>[GeometricSchedule]</c> says (<c>every</c> defaults to 1);</item>
/// <item><c>dense</c>: no stage;</item>
/// <item>any of them followed by <c>;initial=4,recent=0.1</c>: the tokens always kept (<c>[AlwaysKeep]</c>; these are the defaults).</item>
/// </list>
/// Parsed schedules are validated with the analyzer's rules and messages (SDTP002-SDTP011).
/// </summary>
public static class PruningScheduleSyntax
{
    /// <summary>The syntax in one line, for help texts and errors.</summary>
    public const string Summary = "'LAYER:KEEP,...' (e.g. '4:0.9,6:0.9'), 'geometric:first=F,every=E,stages=S,ratio=R', or 'dense'; optionally followed by ';initial=4,recent=0.1'";

    /// <summary>
    /// The schedule <paramref name="text"/> describes, validated for a model of <paramref name="numLayers"/> layers.
    /// Throws <see cref="PruningScheduleException"/> naming the part that is wrong.
    /// </summary>
    public static PruningSchedule Parse(string text, int numLayers)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            var parts = text.Split(';');
            if (parts.Length > 2) throw Problem("more than one ';' (the tokens always kept come once, after the stages)");
            var alwaysKeep = parts.Length == 2 ? ParseAlwaysKeep(parts[1]) : new AlwaysKeepTokens();
            var stages = parts[0].Trim();
            var schedule = stages.Equals("dense", StringComparison.OrdinalIgnoreCase) ? new PruningSchedule([], alwaysKeep)
                : stages.StartsWith("geometric:", StringComparison.OrdinalIgnoreCase) ? ParseGeometric(stages["geometric:".Length..], numLayers, alwaysKeep)
                : ParseExplicit(stages, alwaysKeep);
            return schedule.Validate(numLayers);
        }
        catch (PruningScheduleException e)
        {
            throw new PruningScheduleException($"schedule '{text}': {e.Message}");
        }
    }

    /// <summary>
    /// <paramref name="schedule"/> in the explicit form (<c>4:0.9,6:0.9;initial=4,recent=0.1</c>): what a heads file
    /// records, and what <see cref="Parse"/> reads back to an equal schedule.
    /// </summary>
    public static string Format(PruningSchedule schedule)
    {
        var stages = schedule.Stages.Count == 0 ? "dense"
            : string.Join(",", schedule.Stages.Select(s => $"{ScheduleRules.Format(s.Layer)}:{ScheduleRules.Format(s.KeepRatio)}"));
        return $"{stages};initial={ScheduleRules.Format(schedule.AlwaysKeep.Initial)},recent={ScheduleRules.Format(schedule.AlwaysKeep.RecentFraction)}";
    }

    /// <summary>Whether two schedules prune the same: the same stages and the same tokens always kept.</summary>
    public static bool SameSchedule(PruningSchedule a, PruningSchedule b) =>
        a.Stages.SequenceEqual(b.Stages) && a.AlwaysKeep == b.AlwaysKeep;

    private static PruningSchedule ParseExplicit(string text, AlwaysKeepTokens alwaysKeep)
    {
        if (text.Length == 0) throw Problem("no stages (write 'dense' for none)");
        var stages = new List<PruningStage>();
        foreach (var part in text.Split(','))
        {
            var pair = part.Split(':');
            if (pair.Length != 2) throw Problem($"stage '{part.Trim()}' is not LAYER:KEEP (e.g. 4:0.9)");
            stages.Add(new PruningStage(Int(pair[0], "layer"), Real(pair[1], "keep ratio")));
        }
        return PruningSchedule.Explicit(stages, alwaysKeep);
    }

    private static PruningSchedule ParseGeometric(string text, int numLayers, AlwaysKeepTokens alwaysKeep)
    {
        var fields = Fields(text, ["first", "every", "stages", "ratio"], "geometric");
        foreach (var required in new[] { "first", "stages", "ratio" })
            if (!fields.ContainsKey(required)) throw Problem($"geometric schedule without '{required}=' (needs first, stages and ratio; every defaults to 1)");
        int first = Int(fields["first"], "first"), stages = Int(fields["stages"], "stages");
        int every = fields.TryGetValue("every", out var e) ? Int(e, "every") : 1;
        double ratio = Real(fields["ratio"], "ratio");
        // The analyzer's rules in its order, so the first problem named is the one the attribute would get; a layer
        // count that cannot carry a schedule comes after the parameters' own problems, where the first layer's would.
        var layerCount = ScheduleRules.LayerCount(numLayers);
        var problem = ScheduleRules.Geometric(first, every, stages, ratio, layerCount is null ? numLayers : null).Select(f => f.Violation).FirstOrDefault() ?? layerCount;
        if (problem is not null) throw new PruningScheduleException(problem.ToString());
        return PruningSchedule.Geometric(first, every, stages, ratio, alwaysKeep);
    }

    private static AlwaysKeepTokens ParseAlwaysKeep(string text)
    {
        var fields = Fields(text, ["initial", "recent"], "always-keep");
        var defaults = new AlwaysKeepTokens();
        return new AlwaysKeepTokens(
            fields.TryGetValue("initial", out var i) ? Int(i, "initial") : defaults.Initial,
            fields.TryGetValue("recent", out var r) ? Real(r, "recent") : defaults.RecentFraction);
    }

    private static Dictionary<string, string> Fields(string text, string[] known, string what)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in text.Split(','))
        {
            var pair = part.Split('=');
            var name = pair[0].Trim();
            if (pair.Length != 2 || name.Length == 0) throw Problem($"'{part.Trim()}' is not NAME=VALUE in the {what} part");
            if (!known.Contains(name, StringComparer.OrdinalIgnoreCase))
                throw Problem($"unknown {what} field '{name}' (known: {string.Join(", ", known)})");
            if (!fields.TryAdd(name, pair[1].Trim())) throw Problem($"{what} field '{name}' given twice");
        }
        return fields;
    }

    private static int Int(string text, string what) =>
        int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value
            : throw Problem($"{what} '{text.Trim()}' is not a whole number");

    private static double Real(string text, string what) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value
            : throw Problem($"{what} '{text.Trim()}' is not a finite number");

    private static PruningScheduleException Problem(string message) => new(message);
}
