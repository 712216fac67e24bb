using Sdtp.Evaluation.Tasks.Ruler;

namespace Sdtp.Evaluation.Tasks;

/// <summary>The tasks by name, and the seed streams that keep training, validation and evaluation samples apart.</summary>
public static class TaskSuite
{
    /// <summary>Seeds in [this, 2 x this) are evaluation samples; base-model and head training use seeds below it.</summary>
    public const int EvaluationSeedBase = 1_000_000;

    /// <summary>Seeds at or above this are validation samples (choosing heads and settings), disjoint from both others.</summary>
    public const int ValidationSeedBase = 2 * EvaluationSeedBase;

    /// <summary>The template tasks the shipped default model was trained on, retrieval first.</summary>
    public static IReadOnlyList<IEvalTask> All { get; } = [new PasskeyTask(), new MultiKeyTask(), new MultiValueTask(), new LanguageModelingTask()];

    /// <summary>Every task known by name: the template tasks, then the RULER-like families on held-out and on training phrasings.</summary>
    public static IReadOnlyList<IEvalTask> Known { get; } = [.. All, .. RulerSuite.HeldOut, .. RulerSuite.Training];

    /// <summary>The task called <paramref name="name"/>.</summary>
    public static IEvalTask ByName(string name) =>
        Known.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"unknown task '{name}'; known: {string.Join(", ", Known.Select(t => t.Name))}", nameof(name));

    /// <summary>The evaluation sample <paramref name="index"/> of a task at a length and depth: the same on every run.</summary>
    public static TaskSample EvaluationSample(IEvalTask task, int length, double depth, int index) =>
        task.Generate(length, depth, new Random(EvaluationSeedBase + Hash(task.Name, length, depth, index)));

    /// <summary>A training sample, from the seed stream below <see cref="EvaluationSeedBase"/>.</summary>
    public static TaskSample TrainingSample(IEvalTask task, int length, double depth, int index) =>
        task.Generate(length, depth, new Random(Hash(task.Name, length, depth, index) % EvaluationSeedBase));

    /// <summary>A validation sample, from the seed stream at or above <see cref="ValidationSeedBase"/>.</summary>
    public static TaskSample ValidationSample(IEvalTask task, int length, double depth, int index) =>
        task.Generate(length, depth, new Random(ValidationSeedBase + Hash(task.Name, length, depth, index)));

    /// <summary>
    /// Refuses <paramref name="length"/> for <paramref name="task"/> when its fixed parts (intro, needles, question) alone
    /// overshoot it: its samples would be scored or marked under a length they do not have. Checked on a few evaluation
    /// samples before a command's work starts (base training's short first stages overshoot on purpose and skip it).
    /// </summary>
    public static void CheckFits(IEvalTask task, int length, string option)
    {
        int longest = Enumerable.Range(0, 4).Max(i => EvaluationSample(task, length, (i + 0.5) / 4, i).Prompt.Length);
        if (longest > length * 1.05 + 8)
            throw new ArgumentException($"{option} {length}: too short for {task.Name}, whose intro, needles and question alone take about {longest} tokens; give longer lengths");
    }

    private static int Hash(string name, int length, double depth, int index)
    {
        unchecked
        {
            int h = 17;
            foreach (var c in name) h = h * 31 + c;
            h = h * 31 + length;
            h = h * 31 + (int)(depth * 1000);
            h = h * 31 + index;
            return (h & 0x7fffffff) % EvaluationSeedBase;
        }
    }
}
