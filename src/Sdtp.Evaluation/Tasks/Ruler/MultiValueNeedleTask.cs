namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>
/// RULER's niah_multivalue: one key given four values (numbers or words) by four needles spread over the context, the
/// first at the chosen depth; all four must be returned.
/// </summary>
public sealed class MultiValueNeedleTask(TemplateSplit split) : RulerTask(split)
{
    /// <summary>Values per key.</summary>
    public const int ValueCount = 4;

    /// <inheritdoc/>
    public override string Family => "niah_multivalue";

    /// <inheritdoc/>
    public override TaskSample Generate(int length, double depth, Random random)
    {
        var kind = random.Next(2) == 0 ? ValueKind.Number : ValueKind.Word;
        var key = Values.Keys(Sources.Words, 1, random)[0];
        var values = Values.Distinct(kind, Sources.Words, ValueCount, random);
        var template = NeedleTemplate(random);
        var depths = Enumerable.Range(0, ValueCount).Select(i => 0.05 + ((depth - 0.05 + i * 0.9 / ValueCount) % 0.9)).ToArray();
        var needles = values.Select((v, i) => (depths[i], PhrasingSet.Fill(template, [.. KindSlots(kind), ("key", key), ("value", v)]))).ToList();
        var question = PhrasingSet.Fill(Phrasings.MultiValueQuestions.Pick(Sources.Questions, random), [.. KindSlots(kind), ("key", key)]);
        // The answer lists the values in the order they appear in the text.
        var inOrder = values.Select((v, i) => (v, depths[i])).OrderBy(p => p.Item2).Select(p => p.v).ToList();
        return Assemble(length, depth, random, needles, question, inOrder);
    }
}
