namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>
/// RULER's niah_multikey: 2 to <paramref name="maxKeys"/> needles in one phrasing, each key with its own value, the
/// keys often sharing a word with the asked one; one key (its needle at the chosen depth) is asked.
/// </summary>
public sealed class MultiKeyNeedleTask(TemplateSplit split, int minKeys = 2, int maxKeys = 6) : RulerTask(split)
{
    /// <inheritdoc/>
    public override string Family => "niah_multikey";

    /// <inheritdoc/>
    public override TaskSample Generate(int length, double depth, Random random)
    {
        int count = random.Next(minKeys, maxKeys + 1);
        var kind = (ValueKind)random.Next(3);
        var (keys, values, needles, needleTemplate) = KeyedNeedles(count, kind, depth, random);
        var questionTemplate = Phrasings.SingleQuestions.Pick(Sources.Questions, random);
        var cue = RestatedCue(needleTemplate, kind, random);
        string Question(string key) => cue(PhrasingSet.Fill(questionTemplate, [.. KindSlots(kind), ("key", key)]), key);
        return Assemble(length, depth, random, needles, Question(keys[0]), [values[0]],
            keys.Skip(1).Select(Question).ToList(), values.Skip(1).Select(v => AnswerText([v])).ToList());
    }
}
