namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>Which phrasings, words and haystacks a sample is drawn from.</summary>
public enum TemplateSplit
{
    /// <summary>The phrasings base training, head training, validation and tuning use (and in-distribution evaluation).</summary>
    Training,

    /// <summary>Phrasings, key and value words and prose that nothing trained or tuned ever reads: evaluation only.</summary>
    HeldOut,

    /// <summary>
    /// Needle and question phrasings that neither training nor evaluation uses: what comparing training recipes reads,
    /// so that choosing a recipe never reads the held-out phrasings. Only phrasings have this split; a development
    /// sample's words, prose and intro are training's (<see cref="SampleSources.Development"/>).
    /// </summary>
    Development,
}

/// <summary>
/// A family's phrasings of one kind (needle sentences or questions), split into a training and a disjoint held-out
/// set. Templates name their slots in braces: <c>{key}</c>, <c>{value}</c>, <c>{kind}</c>, ...
/// </summary>
/// <param name="Training">Phrasings for training, validation and in-distribution evaluation.</param>
/// <param name="HeldOut">Phrasings used only by held-out evaluation.</param>
/// <param name="Compose">
/// Builds a training phrasing from parts (<see cref="ComposedPhrasings"/>); when given, <see cref="ComposedShare"/> of the
/// training draws are composed, the others are <paramref name="Training"/>'s fixed sentences.
/// </param>
public sealed record PhrasingSet(IReadOnlyList<string> Training, IReadOnlyList<string> HeldOut, Func<Random, string>? Compose = null)
{
    /// <summary>Phrasings for comparing recipes only (<see cref="TemplateSplit.Development"/>); none for intros.</summary>
    public IReadOnlyList<string> Development { get; init; } = [];

    // A composed phrasing that happens to match a held-out or development one is drawn again; a few tries always
    // suffice with the shipped parts, and the bound turns a bad part list into an error instead of a hang.
    private const int ComposeTries = 100;

    /// <summary>
    /// Share of training draws composed from parts where a set can compose. Three in four: a fixed sentence seen in a
    /// quarter of the draws is still learnt as in-distribution text, while the composed ones carry what transfers to
    /// phrasings never seen.
    /// </summary>
    public const double ComposedShare = 0.75;

    /// <summary>Whether one draw of <paramref name="split"/> is composed: a training draw, <see cref="ComposedShare"/> of the time.</summary>
    public static bool ComposesDraw(TemplateSplit split, Random random) => split == TemplateSplit.Training && random.NextDouble() < ComposedShare;

    /// <summary>The phrasings of <paramref name="split"/>.</summary>
    public IReadOnlyList<string> For(TemplateSplit split) => split switch
    {
        TemplateSplit.Training => Training,
        TemplateSplit.HeldOut => HeldOut,
        _ => Development.Count > 0 ? Development : throw new InvalidOperationException($"no development phrasings for '{Training[0]}'s set"),
    };

    /// <summary>A random phrasing of <paramref name="split"/>.</summary>
    public string Pick(TemplateSplit split, Random random)
    {
        if (Compose is { } compose && ComposesDraw(split, random)) return Composed(compose, random);
        var set = For(split);
        return set[random.Next(set.Count)];
    }

    /// <summary>A phrasing from <paramref name="compose"/> that matches no held-out or development phrasing (drawn again while it does).</summary>
    public static string Composed(Func<Random, string> compose, Random random)
    {
        for (int i = 0; i < ComposeTries; i++)
            if (compose(random) is var composed && !Phrasings.MatchesReserved(composed)) return composed;
        throw new InvalidOperationException($"{ComposeTries} composed phrasings in a row match held-out or development ones: the parts overlap those sentences");
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
