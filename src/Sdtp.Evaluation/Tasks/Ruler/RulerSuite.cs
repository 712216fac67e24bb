namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>The families of the RULER-like suite for one phrasing split, retrieval first.</summary>
public static class RulerSuite
{
    /// <summary>Every family on held-out phrasings, words and prose: what <c>eval</c> and <c>demo</c> score.</summary>
    public static IReadOnlyList<IEvalTask> HeldOut { get; } = Families(TemplateSplit.HeldOut);

    /// <summary>Every family on training phrasings: base training, marking, validation, and in-distribution evaluation.</summary>
    public static IReadOnlyList<IEvalTask> Training { get; } = Families(TemplateSplit.Training);

    /// <summary>The families of <paramref name="split"/>.</summary>
    public static IReadOnlyList<IEvalTask> Families(TemplateSplit split, int maxKeys = 6) =>
    [
        new SingleNeedleTask(split), new MultiKeyNeedleTask(split, 2, maxKeys), new MultiValueNeedleTask(split),
        new MultiQueryNeedleTask(split, Math.Max(3, maxKeys - 1)), new VariableTrackingTask(split), new ProseLanguageModelingTask(split),
    ];
}
