namespace Sdtp.Evaluation.Tasks;

/// <summary>
/// One generated example: the prompt the model reads and the answer it must produce (for language modelling, the
/// continuation it is scored on). Text is ASCII, so with the byte tokenizer characters are tokens.
/// </summary>
/// <param name="Task">The task's name.</param>
/// <param name="Prompt">Everything before the answer.</param>
/// <param name="Answer">The expected continuation, starting with its leading space.</param>
/// <param name="Depth">Where the needle sits, as a fraction of the prompt (0 = start); NaN when the task has none.</param>
/// <param name="NeedleOffsets">Character offsets of every needle in the prompt (what a perfect pruner must keep).</param>
public sealed record TaskSample(string Task, string Prompt, string Answer, double Depth, IReadOnlyList<int> NeedleOffsets)
{
    /// <summary>
    /// The other questions the same context could have been asked, as full prompts (same context, another question at
    /// the end) with their answers; empty when there is only one. Marking uses them: see
    /// <see cref="MarkedSampleStore"/>.
    /// </summary>
    public IReadOnlyList<(string Prompt, string Answer)> OtherQueries { get; init; } = [];

    /// <summary>
    /// Where the question starts in <see cref="Prompt"/> and in every <see cref="OtherQueries"/> prompt (the characters
    /// before it are the context they share); set by the RULER-like tasks and by tasks that have <see cref="OtherQueries"/>, 0 otherwise.
    /// </summary>
    public int QuestionStart { get; init; }

    /// <summary>
    /// The strings a right answer must contain, every one of them, anywhere in the output (RULER's string match, all
    /// of them rather than RULER's fraction found); empty when the answer must be matched exactly.
    /// </summary>
    public IReadOnlyList<string> Expected { get; init; } = [];
}

/// <summary>A seeded generator of task samples at a chosen length and depth.</summary>
public interface IEvalTask
{
    /// <summary>Short name used in reports (<c>passkey</c>, <c>multikey</c>, ...).</summary>
    string Name { get; }

    /// <summary>True when the task is scored by exact match of a retrieved answer; false for language modelling.</summary>
    bool IsRetrieval { get; }

    /// <summary>A sample whose prompt is <paramref name="length"/> characters long (within a sentence), needle at <paramref name="depth"/>.</summary>
    TaskSample Generate(int length, double depth, Random random);
}
