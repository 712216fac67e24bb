using Sdtp.Evaluation.Tasks;
using Sdtp.Evaluation.Tasks.Ruler;

namespace Sdtp.Evaluation;

/// <summary>Which tasks an evaluation scores, and so which ones marking and head validation draw from.</summary>
public enum EvaluationSuite
{
    /// <summary>The template tasks the shipped default model was trained on (passkey, multikey, multivalue, lm).</summary>
    Templates,

    /// <summary>The RULER-like families on held-out phrasings, plus the same on training phrasings (<see cref="EvaluationSettings.Ruler"/>).</summary>
    Ruler,
}

/// <summary>The tasks each suite trains heads on: never the held-out phrasings.</summary>
public static class EvaluationSuites
{
    /// <summary>
    /// The shortest prompt marked by default: the RULER-like multi-key and multi-query families' six needles in a long
    /// composed phrasing (with code values), with their question, alone can take about 600 tokens.
    /// </summary>
    public static int ShortestMarkedLength(this EvaluationSuite suite) => suite == EvaluationSuite.Ruler ? 768 : 256;

    /// <summary>The retrieval tasks whose training-stream samples are marked and whose validation samples choose heads.</summary>
    public static IReadOnlyList<IEvalTask> TrainingRetrieval(this EvaluationSuite suite) => suite == EvaluationSuite.Ruler
        ? RulerSuite.Training.Where(t => t.IsRetrieval).ToList()
        : TaskSuite.All.Where(t => t.IsRetrieval).ToList();
}
