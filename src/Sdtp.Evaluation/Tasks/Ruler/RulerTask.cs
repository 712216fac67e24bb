namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>
/// What every family of the RULER-like suite shares: its phrasing split, an intro line, a haystack of the split's
/// sources (training: the project's grammar or training prose, half each; held-out: held-out prose only) and a scored
/// answer whose every expected string must appear in the model's output (RULER's string match, but all-or-nothing
/// and case-sensitive where RULER ignores case and credits the fraction found).
/// </summary>
public abstract class RulerTask(TemplateSplit split) : IEvalTask
{
    /// <summary>Where each ingredient of a sample comes from: all from <see cref="Split"/> unless a diagnostic says otherwise.</summary>
    public SampleSources Sources { get; init; } = SampleSources.All(split);

    /// <summary>The easier forms base training mixes in (<see cref="TrainingBridge"/>); none unless a trainer sets them.</summary>
    public TrainingBridge Bridge { get; init; } = TrainingBridge.None;

    /// <summary>The suffix of the name of a family's in-distribution variant (training phrasings, evaluation seeds).</summary>
    public const string TrainingSuffix = "@train";

    /// <summary>The phrasings, words and haystacks this task draws from.</summary>
    public TemplateSplit Split => split;

    /// <summary>The family's name (<c>niah_single</c>, ...), the same for both splits.</summary>
    public abstract string Family { get; }

    /// <inheritdoc/>
    public string Name => split == TemplateSplit.HeldOut ? Family : Family + TrainingSuffix;

    /// <inheritdoc/>
    public virtual bool IsRetrieval => true;

    /// <inheritdoc/>
    public abstract TaskSample Generate(int length, double depth, Random random);

    /// <summary>A sentence source for one haystack of this split.</summary>
    protected Func<string> Haystack(Random random)
    {
        return Sources.Prose == TemplateSplit.Training && random.Next(2) == 0 ? FillerText.Sentences(random) : ProseCorpus.For(Sources.Prose).Open(random);
    }

    /// <summary>Builds the sample: intro, haystack with <paramref name="needles"/>, <paramref name="question"/>; the answer lists <paramref name="expected"/>.</summary>
    protected TaskSample Assemble(int length, double depth, Random random, IReadOnlyList<(double Depth, string Needle)> needles,
        string question, IReadOnlyList<string> expected, IReadOnlyList<string>? otherQuestions = null, IReadOnlyList<string>? otherAnswers = null)
    {
        var intro = Phrasings.Intros.Pick(Sources.Intros, random);
        var (prompt, offsets) = HaystackBuilder.BuildInContext(intro, needles, question, length, Haystack(random));
        var context = prompt[..^question.Length];
        return new TaskSample(Name, prompt, AnswerText(expected), depth, offsets)
        {
            Expected = expected,
            OtherQueries = otherQuestions is null ? [] : otherQuestions.Select((q, i) => (context + q, otherAnswers![i])).ToList(),
            QuestionStart = context.Length,
        };
    }

    /// <summary>How training writes an answer: the values in order, comma-separated, after a space.</summary>
    public static string AnswerText(IReadOnlyList<string> values) => " " + string.Join(ItemSeparator, values);

    /// <summary>What stands between the items of an answer with several values.</summary>
    public const string ItemSeparator = ", ";

    /// <summary>
    /// <paramref name="count"/> keys (sharing words with the first) with distinct values of <paramref name="kind"/>, and
    /// their needles in one phrasing: the first at <paramref name="depth"/>, the others anywhere.
    /// </summary>
    protected (string[] Keys, string[] Values, List<(double Depth, string Needle)> Needles, string Template) KeyedNeedles(int count, ValueKind kind, double depth, Random random)
    {
        var keys = Values.Keys(Sources.Words, count, random, similar: true);
        var values = Values.Distinct(kind, Sources.Words, count, random);
        var template = NeedleTemplate(random);
        var needles = keys.Select((k, i) => (i == 0 ? depth : random.NextDouble(),
            PhrasingSet.Fill(template, [.. KindSlots(kind), ("key", k), ("value", values[i])]))).ToList();
        return (keys, values, needles, template);
    }

    /// <summary>
    /// A key-value needle template of the split, or (with <see cref="TrainingBridge.AdjacentNeedleShare"/>) one with the
    /// value right after the key. Draws nothing extra when the share is 0, so other streams keep their samples.
    /// </summary>
    protected string NeedleTemplate(Random random) =>
        Bridge.AdjacentNeedleShare > 0 && random.NextDouble() < Bridge.AdjacentNeedleShare
            ? ComposedPhrasings.AdjacentKeyValueNeedle(random)
            : Phrasings.KeyValueNeedles.Pick(Sources.Needles, random);

    /// <summary>
    /// How a sample's questions end: unchanged, or (with <see cref="TrainingBridge.RestatedCueShare"/>) followed by the
    /// last 1 to all words of the asked key's needle before its value, so the cue matches that needle verbatim. With all
    /// words restated the key is in the cue, with one word it is only in the question. Drawn once per sample; draws
    /// nothing when the share is 0.
    /// </summary>
    protected Func<string, string, string> RestatedCue(string needleTemplate, ValueKind kind, Random random)
    {
        if (Bridge.RestatedCueShare <= 0 || random.NextDouble() >= Bridge.RestatedCueShare) return (question, _) => question;
        int valueAt = needleTemplate.IndexOf("{value}", StringComparison.Ordinal);
        var words = needleTemplate[..valueAt].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0) return (question, _) => question; // the value opens the needle: nothing precedes it
        var restated = string.Join(' ', words[^random.Next(1, words.Length + 1)..]);
        return (question, key) => question + " " + PhrasingSet.Fill(restated, [.. KindSlots(kind), ("key", key)]);
    }

    /// <summary>Slot values shared by the key-value phrasings.</summary>
    protected static (string, string)[] KindSlots(ValueKind kind) =>
        [("kind", Values.KindName(kind)), ("kinds", Values.KindName(kind) + "s")];
}
