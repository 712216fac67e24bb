namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>The families of the RULER-like suite for one phrasing split, retrieval first.</summary>
public static class RulerSuite
{
    /// <summary>Every family on held-out phrasings, words and prose: what <c>eval</c> and <c>demo</c> score.</summary>
    public static IReadOnlyList<IEvalTask> HeldOut { get; } = Families(TemplateSplit.HeldOut);

    /// <summary>Every family on training phrasings: base training, marking, validation, and in-distribution evaluation.</summary>
    public static IReadOnlyList<IEvalTask> Training { get; } = Families(TemplateSplit.Training);

    /// <summary>
    /// The families of <paramref name="split"/>, drawing from <paramref name="sources"/> when given (a diagnostic);
    /// <paramref name="restatedCueShare"/> is training's bridge (<see cref="RulerTask.RestatedCueShare"/>).
    /// </summary>
    public static IReadOnlyList<IEvalTask> Families(TemplateSplit split, int maxKeys = 6, SampleSources? sources = null, double restatedCueShare = 0)
    {
        var from = sources ?? SampleSources.All(split);
        return
        [
            new SingleNeedleTask(split) { Sources = from, RestatedCueShare = restatedCueShare },
            new MultiKeyNeedleTask(split, 2, maxKeys) { Sources = from, RestatedCueShare = restatedCueShare },
            new MultiValueNeedleTask(split) { Sources = from }, new MultiQueryNeedleTask(split, Math.Max(3, maxKeys - 1)) { Sources = from },
            new VariableTrackingTask(split) { Sources = from }, new ProseLanguageModelingTask(split) { Sources = from },
        ];
    }
}
