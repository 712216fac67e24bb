namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>
/// A training-only drill of key lookup: a bare table of keys and values, one entry per line (<c>amber-port = 4821</c>,
/// <c>amber-port has the value 4821</c>; keys sharing words as in multi-key), then a question per key, each answered by
/// that key's value. A question ends with the key and the table's separator, or puts words after the key
/// (<see cref="CarriesKey"/>). Nothing but the key tells the entries apart, so the only way to answer is to find the
/// asked key's bytes in the table: the skill every key-value family needs before its phrasings. Base training mixes it
/// in on request (<c>--key-drill</c>); evaluation, validation and marking never use it.
/// </summary>
public sealed class KeyValueDrillTask(TemplateSplit split) : RulerTask(split)
{
    // What joins a key to its value; the question ends with it, so the value is the next thing to write. The longer
    // ones put words between key and value, as needles do, so the key has to be matched some bytes before the value
    // (every entry of a table shares its separator, so the separator alone tells nothing).
    private static readonly string[] Separators = [" =", ":", " is", " ->", " is set to", " has the value", " goes with the", ", for which we keep"];

    // What a question that carries its key ends with, where the answer starts.
    private const string AnswerCue = " Answer:";

    // How a question names its key: right before the table's separator (the entry's own bytes, so copying what followed
    // them answers; listed twice, so a third of the tables ask this way), or followed by other words and AnswerCue, so
    // the key has to be carried to where the answer starts, as a needle question's key is. {0} is the key, {1} the
    // table's separator.
    private static readonly string[] Questions = ["{0}{1}", "{0}{1}", "Look up {0}." + AnswerCue, "{0}, please." + AnswerCue,
        "Which value goes with {0}?" + AnswerCue, "Find {0} in the table and give its value." + AnswerCue];

    /// <summary>Bytes an entry takes on average (key, separator, value, newline): sets how many fit in a length.</summary>
    public const int AverageEntryLength = 24;

    /// <inheritdoc/>
    public override string Family => "kv_drill";

    /// <summary>Whether a drill sample's question puts words after its key (rather than ending with the key and separator).</summary>
    public static bool CarriesKey(TaskSample sample) => sample.Prompt[sample.QuestionStart..].EndsWith(AnswerCue, StringComparison.Ordinal);

    /// <summary>
    /// A table of 2 to <c>length / <see cref="AverageEntryLength"/></c> entries; the key asked first sits at
    /// <paramref name="depth"/> of the table, and every other key is asked after it, in random order.
    /// </summary>
    public override TaskSample Generate(int length, double depth, Random random)
    {
        int count = random.Next(2, Math.Max(2, length / AverageEntryLength) + 1);
        var kind = (ValueKind)random.Next(3);
        var keys = Values.Keys(Sources.Words, count, random, similar: true);
        var values = Values.Distinct(kind, Sources.Words, count, random);
        string separator = Separators[random.Next(Separators.Length)];
        // Values.Keys puts the keys sharing words after the first; shuffling spreads them through the table.
        var order = Enumerable.Range(0, count).OrderBy(_ => random.Next()).ToArray();
        var table = new System.Text.StringBuilder();
        var offsets = new int[count];
        foreach (int i in order)
        {
            offsets[i] = table.Length;
            table.Append(keys[i]).Append(separator).Append(' ').Append(values[i]).Append('\n');
        }
        int asked = order[Math.Clamp((int)(depth * count), 0, count - 1)];
        var others = order.Where(i => i != asked).OrderBy(_ => random.Next()).ToList();
        string context = table.ToString();
        string question = Questions[random.Next(Questions.Length)];
        string Question(int i) => string.Format(System.Globalization.CultureInfo.InvariantCulture, question, keys[i], separator);
        return new TaskSample(Name, context + Question(asked), AnswerText([values[asked]]), depth, [offsets[asked]])
        {
            Expected = [values[asked]],
            OtherQueries = others.Select(i => (context + Question(i), AnswerText([values[i]]))).ToList(),
            QuestionStart = context.Length,
        };
    }
}
