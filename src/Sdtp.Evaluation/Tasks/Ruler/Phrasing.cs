namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>Which phrasings, words and haystacks a sample is drawn from.</summary>
public enum TemplateSplit
{
    /// <summary>The phrasings base training, head training, validation and tuning use (and in-distribution evaluation).</summary>
    Training,

    /// <summary>Phrasings, key and value words and prose that nothing trained or tuned ever reads: evaluation only.</summary>
    HeldOut,
}

/// <summary>
/// A family's phrasings of one kind (needle sentences or questions), split into a training and a disjoint held-out
/// set. Templates name their slots in braces: <c>{key}</c>, <c>{value}</c>, <c>{kind}</c>, ...
/// </summary>
/// <param name="Training">Phrasings for training, validation and in-distribution evaluation.</param>
/// <param name="HeldOut">Phrasings used only by held-out evaluation.</param>
public sealed record PhrasingSet(IReadOnlyList<string> Training, IReadOnlyList<string> HeldOut)
{
    /// <summary>The phrasings of <paramref name="split"/>.</summary>
    public IReadOnlyList<string> For(TemplateSplit split) => split == TemplateSplit.Training ? Training : HeldOut;

    /// <summary>A random phrasing of <paramref name="split"/>.</summary>
    public string Pick(TemplateSplit split, Random random)
    {
        var set = For(split);
        return set[random.Next(set.Count)];
    }

    /// <summary><paramref name="template"/> with every <c>{name}</c> replaced by its value.</summary>
    public static string Fill(string template, params (string Name, string Value)[] slots)
    {
        var text = template;
        foreach (var (name, value) in slots) text = text.Replace("{" + name + "}", value, StringComparison.Ordinal);
        if (text.Contains('{')) throw new ArgumentException($"template '{template}' has a slot that was not filled: '{text}'", nameof(template));
        return text;
    }
}
