namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>
/// RULER's niah_multiquery, with two keys asked at once: 3 to <paramref name="maxKeys"/> needles of distinct keys, the
/// first asked key's at the chosen depth; both values must be returned.
/// </summary>
public sealed class MultiQueryNeedleTask(TemplateSplit split, int maxKeys = 5) : RulerTask(split)
{
    /// <inheritdoc/>
    public override string Family => "niah_multiquery";

    /// <inheritdoc/>
    public override TaskSample Generate(int length, double depth, Random random)
    {
        int count = random.Next(3, maxKeys + 1);
        var kind = (ValueKind)random.Next(3);
        var (keys, values, needles, _) = KeyedNeedles(count, kind, depth, random);
        var questionTemplate = Phrasings.MultiQueryQuestions.Pick(Sources.Questions, random);
        string Question(int a, int b) => PhrasingSet.Fill(questionTemplate, [.. KindSlots(kind), ("key", keys[a]), ("key2", keys[b])]);
        // Other pairs the same context could be asked, so every key is asked in some question.
        var pairs = Enumerable.Range(1, count - 1).Select(i => (i, (i + 1) % count)).ToList();
        return Assemble(length, depth, random, needles, Question(0, 1), [values[0], values[1]],
            pairs.Select(p => Question(p.Item1, p.Item2)).ToList(), pairs.Select(p => AnswerText([values[p.Item1], values[p.Item2]])).ToList());
    }
}
