namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>
/// Easier forms of the key-value families that base training may mix in, as steps towards finding a value by its key
/// in any phrasing. Evaluation, validation and marking never use them (<see cref="None"/>).
/// </summary>
/// <param name="RestatedCueShare">
/// Share of single-needle and multi-key samples whose questions end by restating the asked needle's last 1 to all words
/// before its value, so the cue matches that needle verbatim: the question side of a key lookup.
/// </param>
/// <param name="AdjacentNeedleShare">
/// Share of key-value samples (single, multi-key, multi-value, multi-query) whose needles put the value right after the
/// key (<see cref="ComposedPhrasings.AdjacentKeyValueNeedle"/>): the needle side, binding a value to the key next to it
/// before binding it across the words of a sentence.
/// </param>
public sealed record TrainingBridge(double RestatedCueShare = 0, double AdjacentNeedleShare = 0)
{
    /// <summary>No bridge: the families as evaluated.</summary>
    public static TrainingBridge None { get; } = new();
}
