namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>The families of the RULER-like suite for one phrasing split, retrieval first.</summary>
public static class RulerSuite
{
    /// <summary>Every family on held-out phrasings, words and prose: what <c>eval</c> and <c>demo</c> score.</summary>
    public static IReadOnlyList<IEvalTask> HeldOut { get; } = Families(TemplateSplit.HeldOut);

    /// <summary>Every family on training phrasings: base training, marking, validation, and in-distribution evaluation.</summary>
    public static IReadOnlyList<IEvalTask> Training { get; } = Families(TemplateSplit.Training);

    /// <summary>
    /// The families of <paramref name="split"/>, drawing from <paramref name="sources"/> when given (a diagnostic), with
    /// training's easier forms mixed in when <paramref name="bridge"/> says so.
    /// </summary>
    public static IReadOnlyList<IEvalTask> Families(TemplateSplit split, int maxKeys = 6, SampleSources? sources = null, TrainingBridge? bridge = null)
    {
        var from = sources ?? SampleSources.All(split);
        var with = bridge ?? TrainingBridge.None;
        return
        [
            new SingleNeedleTask(split) { Sources = from, Bridge = with }, new MultiKeyNeedleTask(split, 2, maxKeys) { Sources = from, Bridge = with },
            new MultiValueNeedleTask(split) { Sources = from, Bridge = with }, new MultiQueryNeedleTask(split, Math.Max(3, maxKeys - 1)) { Sources = from, Bridge = with },
            new VariableTrackingTask(split) { Sources = from }, new ProseLanguageModelingTask(split) { Sources = from },
        ];
    }
}
