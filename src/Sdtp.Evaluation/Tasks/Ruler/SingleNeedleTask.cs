namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>
/// RULER's niah_single: one needle giving a key its value (a 3-7 digit number, a word or a UUID-like code, in turn by
/// sample) at the chosen depth; the question names the key.
/// </summary>
public sealed class SingleNeedleTask(TemplateSplit split) : RulerTask(split)
{
    /// <inheritdoc/>
    public override string Family => "niah_single";

    /// <inheritdoc/>
    public override TaskSample Generate(int length, double depth, Random random)
    {
        var kind = (ValueKind)random.Next(3);
        var key = Values.Keys(Sources.Words, 1, random)[0];
        var value = Values.Of(kind, Sources.Words, random);
        var slots = KindSlots(kind).Append(("key", key)).ToArray();
        var needleTemplate = NeedleTemplate(random);
        var needle = PhrasingSet.Fill(needleTemplate, [.. slots, ("value", value)]);
        var question = PhrasingSet.Fill(Phrasings.SingleQuestions.Pick(Sources.Questions, random), slots);
        question = RestatedCue(needleTemplate, kind, random)(question, key);
        return Assemble(length, depth, random, [(depth, needle)], question, [value]);
    }
}
