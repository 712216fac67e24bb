namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>
/// Which split each ingredient of a sample comes from. A task draws everything from its own split; a diagnostic may
/// hold out one ingredient at a time (training phrasings with held-out words, say) to see which one a model fails on.
/// </summary>
public sealed record SampleSources(TemplateSplit Intros, TemplateSplit Needles, TemplateSplit Questions, TemplateSplit Words, TemplateSplit Prose)
{
    /// <summary>Everything from <paramref name="split"/>.</summary>
    public static SampleSources All(TemplateSplit split) => new(split, split, split, split, split);

    /// <summary>
    /// Training sources with development needles and questions (<see cref="TemplateSplit.Development"/>): phrasings no
    /// training run reads, for comparing recipes without reading the held-out phrasings.
    /// </summary>
    public static SampleSources Development { get; } = All(TemplateSplit.Training) with { Needles = TemplateSplit.Development, Questions = TemplateSplit.Development };

    /// <summary>The ingredient names <see cref="HoldingOut"/> takes.</summary>
    public static IReadOnlyList<string> Ingredients { get; } = ["intros", "needles", "questions", "words", "prose"];

    /// <summary>Training sources with the one ingredient <paramref name="ingredient"/> held out.</summary>
    public static SampleSources HoldingOut(string ingredient)
    {
        var training = All(TemplateSplit.Training);
        const TemplateSplit held = TemplateSplit.HeldOut;
        return ingredient switch
        {
            "intros" => training with { Intros = held },
            "needles" => training with { Needles = held },
            "questions" => training with { Questions = held },
            "words" => training with { Words = held },
            "prose" => training with { Prose = held },
            _ => throw new ArgumentException($"unknown ingredient '{ingredient}'; known: {string.Join(", ", Ingredients)}", nameof(ingredient)),
        };
    }
}
