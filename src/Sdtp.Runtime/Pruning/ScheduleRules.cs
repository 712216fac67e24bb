using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Sdtp.Pruning;

/// <summary>
/// One broken schedule rule: the analyzer's diagnostic id and the arguments of its message
/// (<see cref="ScheduleRules.MessageFormat"/>).
/// </summary>
internal sealed class ScheduleRuleViolation(string id, params string[] args)
{
    /// <summary>The diagnostic id, <c>SDTP002</c> ... <c>SDTP015</c>.</summary>
    public string Id { get; } = id;

    /// <summary>The message's arguments, already formatted.</summary>
    public string[] Args { get; } = args;

    /// <summary>The message the analyzer shows for this violation.</summary>
    public string Message => string.Format(CultureInfo.InvariantCulture, ScheduleRules.MessageFormat(Id), Args);

    /// <inheritdoc/>
    public override string ToString() => $"{Message} ({Id})";
}

/// <summary>
/// The rules a pruning schedule must follow, in one place for both sides: the analyzer reports them at compile time
/// (this file is compiled into Sdtp.Generators too, so it may use nothing but the base library), and the runtime
/// applies them to schedules built in code or given on a command line, with the same words.
/// </summary>
internal static class ScheduleRules
{
    /// <summary>The most layers the generator unrolls (SDTP015).</summary>
    public const int MaxLayers = 1000;

    private static readonly Dictionary<string, string> Formats = new()
    {
        ["SDTP002"] = "Keep ratio {0} is outside (0, 1]: a stage keeps a positive share of the tokens that reach it, at most all of them",
        ["SDTP003"] = "Pruning layer {0} is outside [1, {1}] for a model with NumLayers = {2}",
        ["SDTP004"] = "Pruning layer {0} must come after the previous stage's layer {1}: layers must be strictly increasing, without duplicates",
        ["SDTP007"] = "AlwaysKeep.{0} = {1} is out of range: {2}",
        ["SDTP009"] = "NumLayers = {0}: a model needs at least 2 layers to prune between them; set NumLayers to the model's num_hidden_layers",
        ["SDTP010"] = "GeometricSchedule(FirstLayer = {0}, Every = {1}, Stages = {2}) puts its last stage at layer {3}, past the last prunable layer {4}",
        ["SDTP011"] = "GeometricSchedule.{0} = {1} is out of range: {2}",
        ["SDTP015"] = "NumLayers = {0} is more than the {1} layers the generator unrolls; real LLaMA-family models have at most a few hundred",
    };

    /// <summary>The message format of rule <paramref name="id"/> (the analyzer's descriptors use these texts).</summary>
    public static string MessageFormat(string id) => Formats[id];

    /// <summary>SDTP009 or SDTP015 when a model of <paramref name="numLayers"/> layers cannot carry a schedule.</summary>
    public static ScheduleRuleViolation? LayerCount(int numLayers) =>
        numLayers < 2 ? new("SDTP009", Format(numLayers))
        : numLayers > MaxLayers ? new("SDTP015", Format(numLayers), Format(MaxLayers))
        : null;

    /// <summary>SDTP002 unless 0 &lt; <paramref name="keep"/> &lt;= 1.</summary>
    public static ScheduleRuleViolation? KeepRatio(double keep) => keep > 0 && keep <= 1 ? null : new("SDTP002", Format(keep));

    /// <summary>SDTP003 unless <paramref name="layer"/> is in [1, numLayers - 1]: layer 0 has nothing before it to score with.</summary>
    public static ScheduleRuleViolation? Layer(int layer, int numLayers) =>
        layer >= 1 && layer <= numLayers - 1 ? null : new("SDTP003", Format(layer), Format(numLayers - 1), Format(numLayers));

    /// <summary>SDTP004 unless <paramref name="layer"/> comes after <paramref name="previous"/>.</summary>
    public static ScheduleRuleViolation? AfterPrevious(int layer, int previous) =>
        layer > previous ? null : new("SDTP004", Format(layer), Format(previous));

    /// <summary>SDTP007 unless the first <paramref name="initial"/> tokens kept is 0 or more.</summary>
    public static ScheduleRuleViolation? AlwaysKeepInitial(int initial) =>
        initial >= 0 ? null : new("SDTP007", "Initial", Format(initial), "must be at least 0");

    /// <summary>SDTP007 unless the recent fraction kept is in [0, 1).</summary>
    public static ScheduleRuleViolation? AlwaysKeepRecent(double recent) =>
        recent >= 0 && recent < 1 ? null : new("SDTP007", "RecentFraction", Format(recent), "must be in [0, 1)");

    /// <summary>SDTP011 unless a geometric schedule has at least one stage.</summary>
    public static ScheduleRuleViolation? GeometricStages(int stages) =>
        stages >= 1 ? null : new("SDTP011", "Stages", Format(stages), "a schedule needs at least 1 stage");

    /// <summary>SDTP011 unless a geometric schedule's stages are at least one layer apart.</summary>
    public static ScheduleRuleViolation? GeometricEvery(int every) =>
        every >= 1 ? null : new("SDTP011", "Every", Format(every), "stages must be at least 1 layer apart");

    /// <summary>SDTP010 when a geometric schedule's last stage (first + (stages - 1) x every) is past layer numLayers - 1.</summary>
    public static ScheduleRuleViolation? GeometricFits(int first, int every, int stages, int numLayers)
    {
        long last = first + (long)(stages - 1) * every;
        return last <= numLayers - 1 ? null
            : new("SDTP010", Format(first), Format(every), Format(stages), last.ToString(CultureInfo.InvariantCulture), Format(numLayers - 1));
    }

    /// <summary>
    /// Every rule a geometric schedule breaks, in the analyzer's order, each with the <c>[GeometricSchedule]</c>
    /// argument it is about (<c>Stages</c>, <c>Every</c>, <c>Ratio</c>, <c>FirstLayer</c>): each parameter alone, then,
    /// when only the ratio (if anything) is wrong, whether the last stage fits. Without <paramref name="numLayers"/>
    /// (not known) the layers are not checked.
    /// </summary>
    public static List<(ScheduleRuleViolation Violation, string Field)> Geometric(int first, int every, int stages, double ratio, int? numLayers)
    {
        var found = new List<(ScheduleRuleViolation Violation, string Field)>();
        void Add(ScheduleRuleViolation? violation, string field)
        {
            if (violation is not null) found.Add((violation, field));
        }
        Add(GeometricStages(stages), "Stages");
        Add(GeometricEvery(every), "Every");
        Add(KeepRatio(ratio), "Ratio");
        if (numLayers is int layers)
        {
            Add(Layer(first, layers), "FirstLayer");
            if (found.All(f => f.Field == "Ratio")) Add(GeometricFits(first, every, stages, layers), "Stages"); // a bad ratio still leaves the layers to check
        }
        return found;
    }

    /// <summary>An integer as the messages write it.</summary>
    public static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A real as the messages write it: the shortest text that reads back to the same value.</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
