using System.Globalization;
using System.Text;

namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>
/// A training-only drill of key lookup: a bare table of keys and values, one entry per line (<c>amber-port = 4821</c>,
/// <c>amber-port has the value 4821</c>; keys sharing words as in multi-key), then questions, each answered. Nothing
/// but the key tells the entries apart, so the only way to answer is to find the asked bytes in the table: the skills
/// the key-value families and variable tracking need before their phrasings, without a haystack. Three forms
/// (<see cref="DrillQuestion"/>): half the tables ask each key for its one value; a quarter give one key several
/// values and ask for all of them (multi-value's skill: go on to the next entry of the same key); a quarter hold
/// chains of names (<c>KXQZB = 4821</c>, <c>PLMTA = KXQZB</c>) and ask which names hold a value (variable tracking's).
/// A fourth form, when asked for, lists bare values and asks for the ones after a named one (<see cref="DrillForm.Continue"/>).
/// Base training mixes it in on request (<c>--key-drill</c>, <c>--drill-forms</c>); evaluation, validation and marking
/// never use it.
/// </summary>
public sealed class KeyValueDrillTask : RulerTask
{
    // A table's form is drawn from these, among the forms asked for: lookups twice as often as each other form, as the
    // others build on finding a key.
    private static readonly DrillForm[] FormDraws = [DrillForm.Lookup, DrillForm.Lookup, DrillForm.AllValues, DrillForm.Chain, DrillForm.Continue];

    private readonly DrillForm[] formDraws;

    /// <summary>The forms a drill draws unless told: the three key tables, without <see cref="DrillForm.Continue"/>.</summary>
    public static IReadOnlyList<DrillForm> DefaultForms { get; } = [DrillForm.Lookup, DrillForm.AllValues, DrillForm.Chain];

    /// <summary>A drill on <paramref name="split"/>'s words drawing its tables from <paramref name="forms"/> (default: <see cref="DefaultForms"/>).</summary>
    public KeyValueDrillTask(TemplateSplit split, IReadOnlyCollection<DrillForm>? forms = null) : base(split)
    {
        forms ??= [.. DefaultForms];
        if (forms.Count == 0) throw new ArgumentException("the key drill needs at least one form", nameof(forms));
        formDraws = FormDraws.Where(forms.Contains).ToArray();
    }

    // What joins a key to its value; the question ends with it, so the value is the next thing to write. The longer
    // ones put words between key and value, as needles do, so the key has to be matched some bytes before the value
    // (every entry of a table shares its separator, so the separator alone tells nothing).
    private static readonly string[] Separators = [" =", ":", " is", " ->", " is set to", " has the value", " goes with the", ", for which we keep"];

    // Where the answer starts, by what it lists: the cue says whether one value, every value of a key, or names are asked.
    private const string AnswerCue = " Answer:";
    private const string ValuesCue = " Values:";
    private const string NamesCue = " Names:";
    private const string NextCue = " Next:";

    // How a lookup question names its key: right before the table's separator (the entry's own bytes, so copying what
    // followed them answers; listed twice, so a third of the tables ask this way), or followed by other words and
    // AnswerCue, so the key has to be carried to where the answer starts, as a needle question's key is. {0} is the
    // key, {1} the table's separator.
    private static readonly string[] Questions = ["{0}{1}", "{0}{1}", "Look up {0}." + AnswerCue, "{0}, please." + AnswerCue,
        "Which value goes with {0}?" + AnswerCue, "Find {0} in the table and give its value." + AnswerCue];

    // Questions for every value of a key ({0}), in table order.
    private static readonly string[] AllValuesQuestions = ["Every value of {0}." + ValuesCue, "List all values of {0}." + ValuesCue,
        "What are the values of {0}?" + ValuesCue, "{0} appears more than once; give each value." + ValuesCue];

    // Questions for every name that holds a value ({0}), in chain order.
    private static readonly string[] ChainQuestions = ["Which names hold {0}?" + NamesCue, "Every name equal to {0}." + NamesCue,
        "Follow {0} through the table." + NamesCue, "{0} is held by which names?" + NamesCue];

    // Questions for the {1} values listed after {0}, in list order.
    private static readonly string[] ContinueQuestions = ["Which {1} values follow {0}?" + NextCue, "Copy the {1} lines after {0}." + NextCue,
        "Continue from {0} for {1} lines." + NextCue, "What are the next {1} entries after {0}?" + NextCue];

    /// <summary>Bytes an entry takes on average (key, separator, value, newline): sets how many fit in a length.</summary>
    public const int AverageEntryLength = 24;

    /// <inheritdoc/>
    public override string Family => "kv_drill";

    /// <summary>What a drill sample's question asks, read from how it ends.</summary>
    public static DrillQuestion QuestionKind(TaskSample sample)
    {
        string question = sample.Prompt[sample.QuestionStart..];
        if (question.EndsWith(AnswerCue, StringComparison.Ordinal)) return DrillQuestion.KeyCarried;
        if (question.EndsWith(ValuesCue, StringComparison.Ordinal)) return DrillQuestion.AllValues;
        if (question.EndsWith(NamesCue, StringComparison.Ordinal)) return DrillQuestion.Chain;
        if (question.EndsWith(NextCue, StringComparison.Ordinal)) return DrillQuestion.Continue;
        return DrillQuestion.KeyBeforeSeparator;
    }

    /// <summary>
    /// A table of 2 to <c>length / <see cref="AverageEntryLength"/></c> entries in one of the drill's forms (lengths with
    /// room for fewer than three entries ask only lookups).
    /// </summary>
    public override TaskSample Generate(int length, double depth, Random random)
    {
        int capacity = Math.Max(2, length / AverageEntryLength);
        var kind = (ValueKind)random.Next(3);
        string separator = Separators[random.Next(Separators.Length)];
        var form = capacity < 3 ? DrillForm.Lookup : formDraws[random.Next(formDraws.Length)];
        return form switch
        {
            DrillForm.AllValues => AllValues(capacity, kind, separator, random),
            DrillForm.Chain => Chains(capacity, kind, separator, random),
            DrillForm.Continue => Continue(length, random),
            _ => Lookup(capacity, depth, kind, separator, random),
        };
    }

    // One value per key; the key asked first sits at depth of the table, and every other key is asked after it.
    private TaskSample Lookup(int capacity, double depth, ValueKind kind, string separator, Random random)
    {
        int count = random.Next(2, capacity + 1);
        var keys = Values.Keys(Sources.Words, count, random, similar: true);
        var values = Values.Distinct(kind, Sources.Words, count, random);
        // Values.Keys puts the keys sharing words after the first; shuffling spreads them through the table.
        var order = Enumerable.Range(0, count).OrderBy(_ => random.Next()).ToArray();
        var table = new Table(separator);
        foreach (int i in order) table.Add(keys[i], values[i]);
        int asked = order[Math.Clamp((int)(depth * count), 0, count - 1)];
        var others = order.Where(i => i != asked).OrderBy(_ => random.Next()).ToList();
        string question = Questions[random.Next(Questions.Length)];
        string Question(int i) => Fill(question, keys[i], separator);
        return table.Sample(Name, depth, Question(asked), [values[asked]], [table.OffsetOf(keys[asked])],
            others.Select(i => (Question(i), (IReadOnlyList<string>)[values[i]])));
    }

    // One key with 2-4 values among single-valued keys; the single keys are asked for their value too, so the cue,
    // not the table, says whether one value or all are wanted.
    private TaskSample AllValues(int capacity, ValueKind kind, string separator, Random random)
    {
        int repeats = random.Next(2, Math.Min(4, capacity - 1) + 1);
        int singles = random.Next(1, capacity - repeats + 1);
        var keys = Values.Keys(Sources.Words, singles + 1, random, similar: true);
        var values = Values.Distinct(kind, Sources.Words, repeats + singles, random);
        // Entry i holds values[i]; the first `repeats` entries belong to keys[0], entry repeats + j to keys[1 + j].
        string KeyOfEntry(int i) => keys[Math.Max(0, i - repeats + 1)];
        var table = new Table(separator);
        foreach (int i in Enumerable.Range(0, values.Length).OrderBy(_ => random.Next())) table.Add(KeyOfEntry(i), values[i]);
        string question = Questions[random.Next(Questions.Length)];
        var singleQueries = keys.Skip(1).Select(k => (Fill(question, k, separator), table.ValuesOf(k)));
        return table.Sample(Name, double.NaN, Fill(AllValuesQuestions[random.Next(AllValuesQuestions.Length)], keys[0], separator),
            table.ValuesOf(keys[0]), table.OffsetsOf(keys[0]), singleQueries);
    }

    // Two chains of names, each starting from a value and passing it on (a name's entry names the one before it), their
    // entries interleaved with each chain's order kept; each value is asked for the names of its chain, in order.
    private TaskSample Chains(int capacity, ValueKind kind, string separator, Random random)
    {
        int asked = random.Next(2, Math.Min(4, capacity - 1) + 1);
        int other = random.Next(1, Math.Min(3, capacity - asked) + 1);
        var names = Values.VariableNames(asked + other, random);
        var values = Values.Distinct(kind, Sources.Words, 2, random);
        string[][] chains = [names[..asked], names[asked..]];
        var table = new Table(separator);
        var next = new int[2];
        while (next[0] < chains[0].Length || next[1] < chains[1].Length)
        {
            // Draw the chain of the next entry in proportion to the entries it has left, so both spread over the table.
            int left0 = chains[0].Length - next[0], left1 = chains[1].Length - next[1];
            int c = random.Next(left0 + left1) < left0 ? 0 : 1;
            int i = next[c]++;
            table.Add(chains[c][i], i == 0 ? values[c] : chains[c][i - 1]);
        }
        string question = ChainQuestions[random.Next(ChainQuestions.Length)];
        return table.Sample(Name, double.NaN, Fill(question, values[0], separator), chains[0], chains[0].Select(table.OffsetOf).ToArray(),
            [(Fill(question, values[1], separator), chains[1])]);
    }

    // A list of values of every kind and variable names, one per line; one value is named and the 2-6 after it asked, as
    // are those after up to five others. Finding a string of many bytes and copying, byte for byte, what follows it
    // from entry to entry is what a code right for its first bytes and then invented, or a list answer that stops
    // early or repeats an item, gets wrong. Entries average about 14 bytes, so a list takes about as many as fit.
    private TaskSample Continue(int length, Random random)
    {
        int count = random.Next(4, Math.Max(4, length / ListEntryLength) + 1);
        var values = new List<string>(count);
        while (values.Count < count)
        {
            // Each value kind as often as variable names.
            int kind = random.Next(ValueKinds.Length + 1);
            string value = kind < ValueKinds.Length ? Values.Of(ValueKinds[kind], Sources.Words, random) : Values.VariableNames(1, random)[0];
            if (!values.Contains(value)) values.Add(value);
        }
        var table = new Table(separator: "");
        foreach (var value in values) table.AddLine(value);
        string Question(int start, int follow) =>
            string.Format(CultureInfo.InvariantCulture, ContinueQuestions[random.Next(ContinueQuestions.Length)], values[start], follow);
        (int Start, int Follow) Draw()
        {
            int follow = random.Next(2, Math.Min(6, count - 1) + 1);
            return (random.Next(count - follow), follow);
        }
        IReadOnlyList<string> After((int Start, int Follow) ask) => values.GetRange(ask.Start + 1, ask.Follow);
        var asked = Draw();
        var others = Enumerable.Range(0, 5).Select(_ => Draw()).ToList();
        return table.Sample(Name, double.NaN, Question(asked.Start, asked.Follow), After(asked), After(asked).Select(table.OffsetOf).ToArray(),
            others.Select(o => (Question(o.Start, o.Follow), After(o))));
    }

    private static readonly ValueKind[] ValueKinds = Enum.GetValues<ValueKind>();

    /// <summary>Bytes an entry of a <see cref="DrillForm.Continue"/> list takes on average (value and newline).</summary>
    public const int ListEntryLength = 14;

    private static string Fill(string question, string key, string separator) => string.Format(CultureInfo.InvariantCulture, question, key, separator);

    // The table's text with where each entry starts, so samples can name their needles.
    private sealed class Table(string separator)
    {
        private readonly StringBuilder text = new();
        private readonly List<(string Key, string Value, int Offset)> entries = [];

        public void Add(string key, string value)
        {
            entries.Add((key, value, text.Length));
            text.Append(key).Append(separator).Append(' ').Append(value).Append('\n');
        }

        // An entry that is a value alone, found by that value.
        public void AddLine(string value)
        {
            entries.Add((value, value, text.Length));
            text.Append(value).Append('\n');
        }

        public int OffsetOf(string key) => entries.First(e => e.Key == key).Offset;

        public int[] OffsetsOf(string key) => entries.Where(e => e.Key == key).Select(e => e.Offset).ToArray();

        public IReadOnlyList<string> ValuesOf(string key) => entries.Where(e => e.Key == key).Select(e => e.Value).ToList();

        public TaskSample Sample(string task, double depth, string question, IReadOnlyList<string> expected, IReadOnlyList<int> offsets,
            IEnumerable<(string Question, IReadOnlyList<string> Expected)> others)
        {
            string context = text.ToString();
            return new TaskSample(task, context + question, AnswerText(expected), depth, offsets)
            {
                Expected = expected,
                OtherQueries = others.Select(o => (context + o.Question, AnswerText(o.Expected))).ToList(),
                QuestionStart = context.Length,
            };
        }
    }
}

/// <summary>The kinds of table a <see cref="KeyValueDrillTask"/> draws.</summary>
public enum DrillForm
{
    /// <summary>One value per key, each key asked for it.</summary>
    Lookup,

    /// <summary>One key with 2-4 values among single-valued keys, asked for all of them.</summary>
    AllValues,

    /// <summary>Two chains of names passing a value on, asked which names hold each value.</summary>
    Chain,

    /// <summary>A list of values of every kind, asked for the 2-6 values after a named one.</summary>
    Continue,
}

/// <summary>What a <see cref="KeyValueDrillTask"/> question asks.</summary>
public enum DrillQuestion
{
    /// <summary>One key's value; the question ends with the key and the table's separator, the entry's own bytes.</summary>
    KeyBeforeSeparator,

    /// <summary>One key's value; the question puts words after the key.</summary>
    KeyCarried,

    /// <summary>Every value of a key that has several, in table order.</summary>
    AllValues,

    /// <summary>Every name of a chain that passes a value on, in chain order.</summary>
    Chain,

    /// <summary>The values listed after a named one, in list order.</summary>
    Continue,
}
