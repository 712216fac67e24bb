using System.Globalization;

namespace Sdtp.Pruning;

/// <summary>One pruning stage: before decoder layer <see cref="Layer"/> runs, keep <see cref="KeepRatio"/> of the tokens that reached it.</summary>
public sealed record PruningStage(int Layer, double KeepRatio);

/// <summary>
/// Tokens kept at every stage whatever their score: the first <see cref="Initial"/> real tokens (attention sinks) and
/// the most recent <see cref="RecentFraction"/> of each sequence, never fewer than one, so the token that predicts
/// the next one always survives.
/// </summary>
public sealed record AlwaysKeepTokens(int Initial = 4, double RecentFraction = 0.1)
{
    /// <summary>How many recent tokens a sequence of <paramref name="length"/> real tokens keeps: ceil(fraction x length), at least 1.</summary>
    public int RecentCount(int length) => length <= 0 ? 0 : Math.Clamp((int)Math.Ceiling(RecentFraction * length - 1e-9), 1, length);

    /// <summary>How many tokens are forced in a sequence of <paramref name="length"/> real tokens (initial and recent may overlap).</summary>
    public int ForcedCount(int length) => Math.Min(length, Math.Min(Initial, length) + RecentCount(length));
}

/// <summary>
/// Where SDTP prunes and how much it keeps. Keep counts are deterministic integers:
/// <c>keep = round_half_up(ratio x tokens_reaching_the_stage)</c>, at least the forced tokens and at least 1, at most the
/// tokens present. A sequence no longer than its forced tokens passes through unpruned.
/// </summary>
public sealed record PruningSchedule
{
    /// <summary>A schedule; use <see cref="Geometric"/> or <see cref="Explicit"/> and then <see cref="Validate"/>.</summary>
    public PruningSchedule(IReadOnlyList<PruningStage> stages, AlwaysKeepTokens? alwaysKeep = null)
    {
        Stages = stages;
        AlwaysKeep = alwaysKeep ?? new AlwaysKeepTokens();
    }

    /// <summary>The stages in layer order.</summary>
    public IReadOnlyList<PruningStage> Stages { get; }

    /// <summary>Tokens never pruned.</summary>
    public AlwaysKeepTokens AlwaysKeep { get; }

    /// <summary>No stage at all: the model runs dense.</summary>
    public static PruningSchedule Dense { get; } = new([]);

    /// <summary>
    /// <paramref name="stages"/> stages at layers first, first + every, ..., each keeping <paramref name="ratio"/> of what
    /// reaches it (the paper: 4, 3, 10, 0.9 on a 32-layer model keeps 0.9^10 = 0.35 of the tokens).
    /// </summary>
    public static PruningSchedule Geometric(int firstLayer, int every, int stages, double ratio, AlwaysKeepTokens? alwaysKeep = null)
    {
        Require(ScheduleRules.GeometricStages(stages), "");
        Require(ScheduleRules.GeometricEvery(every), "");
        return new(Enumerable.Range(0, stages).Select(s => new PruningStage(firstLayer + s * every, ratio)).ToArray(), alwaysKeep);
    }

    /// <summary>Stages listed one by one.</summary>
    public static PruningSchedule Explicit(IEnumerable<PruningStage> stages, AlwaysKeepTokens? alwaysKeep = null) =>
        new(stages.ToArray(), alwaysKeep);

    /// <summary>
    /// Throws <see cref="PruningScheduleException"/> naming the stage, layer and value when this schedule cannot run on
    /// <paramref name="numLayers"/> layers: the analyzer's rules (<see cref="ScheduleRules"/>) and words, with its id.
    /// </summary>
    public PruningSchedule Validate(int numLayers)
    {
        Require(ScheduleRules.AlwaysKeepInitial(AlwaysKeep.Initial), "");
        Require(ScheduleRules.AlwaysKeepRecent(AlwaysKeep.RecentFraction), "");
        if (Stages.Count == 0) return this; // a dense schedule runs on any model
        Require(ScheduleRules.LayerCount(numLayers), "");
        for (int s = 0; s < Stages.Count; s++)
        {
            var stage = Stages[s];
            Require(ScheduleRules.Layer(stage.Layer, numLayers), $"stage {s}: ");
            Require(ScheduleRules.KeepRatio(stage.KeepRatio), $"stage {s} (layer {stage.Layer}): ");
            if (s > 0) Require(ScheduleRules.AfterPrevious(stage.Layer, Stages[s - 1].Layer), $"stage {s}: ");
        }
        return this;
    }

    private static void Require(ScheduleRuleViolation? violation, string where)
    {
        if (violation is not null) throw new PruningScheduleException(where + violation);
    }

    /// <summary>The stage index at <paramref name="layer"/>, or -1.</summary>
    public int StageAt(int layer)
    {
        for (int s = 0; s < Stages.Count; s++)
            if (Stages[s].Layer == layer) return s;
        return -1;
    }

    /// <summary>The same stage layers and always-kept tokens with every stage keeping <paramref name="ratio"/> (a budget sweep, a per-request ratio).</summary>
    public PruningSchedule AtKeepRatio(double ratio) => new(Stages.Select(s => s with { KeepRatio = ratio }).ToList(), AlwaysKeep);

    /// <summary>Product of the keep ratios of stages 0..<paramref name="stage"/>: the share of the original tokens after it.</summary>
    public double CumulativeKeepRatio(int stage)
    {
        double r = 1;
        for (int s = 0; s <= stage; s++) r *= Stages[s].KeepRatio;
        return r;
    }

    /// <summary>Tokens a stage with keep <paramref name="ratio"/> keeps of <paramref name="present"/>, <paramref name="forced"/> of them forced.</summary>
    public static int KeepCount(double ratio, int present, int forced)
    {
        if (present <= forced) return present;
        int k = (int)Math.Floor(ratio * present + 0.5);
        return Math.Clamp(Math.Max(k, forced), 1, present);
    }

    /// <summary>Tokens each stage keeps of a sequence of <paramref name="length"/> real tokens, in stage order.</summary>
    public int[] KeepCounts(int length)
    {
        var counts = new int[Stages.Count];
        int present = length, forced = AlwaysKeep.ForcedCount(length);
        for (int s = 0; s < Stages.Count; s++) counts[s] = present = KeepCount(Stages[s].KeepRatio, present, forced);
        return counts;
    }

    /// <summary>Tokens that reach each layer for a sequence of <paramref name="length"/> real tokens: the shape of a pruned prefill.</summary>
    public int[] TokensPerLayer(int length, int numLayers)
    {
        var counts = new int[numLayers];
        int present = length, forced = AlwaysKeep.ForcedCount(length);
        for (int layer = 0; layer < numLayers; layer++)
        {
            int s = StageAt(layer);
            if (s >= 0) present = KeepCount(Stages[s].KeepRatio, present, forced);
            counts[layer] = present;
        }
        return counts;
    }

    private static string Format(double v) => ScheduleRules.Format(v);

    /// <inheritdoc/>
    public override string ToString() =>
        $"[{string.Join(", ", Stages.Select(s => $"{s.Layer}:{Format(s.KeepRatio)}"))}] keep first {AlwaysKeep.Initial} + recent {Format(AlwaysKeep.RecentFraction)}";
}

/// <summary>A schedule that cannot run: the message names the stage, layer and value.</summary>
public sealed class PruningScheduleException(string message) : Exception(message);
