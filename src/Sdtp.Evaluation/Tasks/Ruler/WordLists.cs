namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>
/// Words for keys and word values, written for this project. Every fourth word of each list is held out: only held-out
/// evaluation uses it, so a held-out sample's keys and word answers were never seen in training. Training draws half
/// its words from an open vocabulary (made-up words and the training prose's words, never a held-out one), so copying a
/// key or a value is learnt for any word rather than for the few dozen of a list.
/// </summary>
public static class WordLists
{
    /// <summary>First halves of keys.</summary>
    public static IReadOnlyList<string> Adjectives { get; } =
    [
        "amber", "silver", "quiet", "rapid", "golden", "hollow", "crimson", "gentle", "frozen", "bitter", "distant", "bright",
        "narrow", "ancient", "rusty", "velvet", "hidden", "lucky", "stormy", "wooden", "silent", "brave", "misty", "polished",
        "scarlet", "humble", "wild", "lonely", "sunny", "marble", "copper", "northern", "eager", "clever", "dusty", "tiny",
        "mighty", "proud", "sleepy", "royal", "cosmic", "fragile", "hungry", "jolly", "noble", "plain", "rough", "sacred",
    ];

    /// <summary>Second halves of keys.</summary>
    public static IReadOnlyList<string> KeyNouns { get; } =
    [
        "falcon", "harbor", "lantern", "meadow", "compass", "orchard", "beacon", "canyon", "glacier", "thistle", "anchor", "willow",
        "summit", "quarry", "pebble", "violin", "tunnel", "garnet", "heron", "citadel", "furnace", "lagoon", "sparrow", "tower",
        "bison", "cobalt", "dragon", "ember", "fjord", "gazelle", "island", "jasper", "kettle", "lynx", "mosaic", "nebula",
        "oasis", "panther", "quartz", "raven", "saddle", "tundra", "umbrella", "vortex", "walrus", "yonder", "zephyr", "badger",
    ];

    /// <summary>Word values.</summary>
    public static IReadOnlyList<string> Nouns { get; } =
    [
        "apple", "basket", "candle", "desert", "engine", "forest", "guitar", "hammer", "iceberg", "jacket", "kingdom", "ladder",
        "mirror", "needle", "ocean", "pencil", "rabbit", "saucer", "teapot", "valley", "window", "yogurt", "bridge", "carpet",
        "donkey", "feather", "garden", "helmet", "insect", "jungle", "kitten", "lemon", "magnet", "napkin", "onion", "parrot",
        "rocket", "shadow", "ticket", "velvet", "wagon", "zipper", "button", "cactus", "dinner", "finger", "goblet", "hostel",
        "ink", "jewel", "kayak", "lizard", "mango", "nickel", "oyster", "pillow", "riddle", "salmon", "tiger", "violet",
        "walnut", "blanket", "cereal", "dolphin", "fountain", "giraffe", "harvest", "igloo", "journal", "kernel", "lobster", "muffin",
    ];

    /// <summary>The words of <paramref name="list"/> that <paramref name="split"/> may use.</summary>
    public static IReadOnlyList<string> For(IReadOnlyList<string> list, TemplateSplit split) =>
        list.Where((_, i) => (i % 4 == 3) == (split == TemplateSplit.HeldOut)).ToList();

    /// <summary>
    /// A random word <paramref name="split"/> may use: held-out, one of the list's held-out words; training, one of the
    /// list's training words half the time, otherwise a word of the open vocabulary (<see cref="OpenWord"/>).
    /// </summary>
    public static string Pick(IReadOnlyList<string> list, TemplateSplit split, Random random)
    {
        if (split == TemplateSplit.Training && random.Next(2) == 0) return OpenWord(random);
        var words = For(list, split);
        return words[random.Next(words.Count)];
    }

    /// <summary>Every held-out word of every list: what training may never use as a key or a value.</summary>
    public static IReadOnlySet<string> HeldOutWords { get; } =
        new[] { Adjectives, KeyNouns, Nouns }.SelectMany(l => For(l, TemplateSplit.HeldOut)).ToHashSet(StringComparer.Ordinal);

    /// <summary>A made-up word of two or three syllables, or a lower-case word of the training prose; never a held-out word.</summary>
    public static string OpenWord(Random random)
    {
        while (true)
        {
            var word = random.Next(2) == 0 ? MadeUpWord(random) : ProseWords.Value[random.Next(ProseWords.Value.Count)];
            if (!HeldOutWords.Contains(word)) return word;
        }
    }

    private const string Consonants = "bcdfghjklmnprstvz", Vowels = "aeiou";

    private static string MadeUpWord(Random random)
    {
        var word = new System.Text.StringBuilder();
        for (int syllables = random.Next(2, 4); syllables > 0; syllables--)
        {
            word.Append(Consonants[random.Next(Consonants.Length)]).Append(Vowels[random.Next(Vowels.Length)]);
            if (random.Next(3) == 0) word.Append(Consonants[random.Next(Consonants.Length)]);
        }
        return word.ToString();
    }

    /// <summary>
    /// A lower-case word of two or three letters of the training prose, drawn as often as the prose uses it ("the", "it",
    /// "was", "we"): the everyday words that <see cref="OpenWord"/> leaves out and that a cue is mostly made of.
    /// </summary>
    public static string ShortWord(Random random) => ShortProseWords.Value[random.Next(ShortProseWords.Value.Count)];

    /// <summary>
    /// The first <paramref name="count"/> words of a training-prose sentence, lower-cased ("and so it was"): everyday
    /// words in an order English uses, none of them a held-out word.
    /// </summary>
    public static string ProseOpening(Random random, int count)
    {
        var sentences = ProseCorpus.For(TemplateSplit.Training).Sentences;
        for (int tries = 0; tries < 10_000; tries++)
        {
            var words = sentences[random.Next(sentences.Count)].Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(count)
                .Select(w => w.Trim(',', ';', ':', '"', '\'').ToLowerInvariant()).ToArray();
            if (words.Length == count && words.All(w => w.Length > 0 && IsPlainTrainingWord(w)))
                return string.Join(' ', words);
        }
        throw new InvalidOperationException($"the training prose has no sentence that opens with {count} plain words");
    }

    // Lower-case words of the training prose in reading order, so that draws are reproducible: each word once for the
    // open vocabulary, every occurrence for the short words (drawn by frequency).
    private static readonly Lazy<IReadOnlyList<string>> ProseWords = new(() => ProseWordsOf(4, 10).Distinct(StringComparer.Ordinal).ToList());
    private static readonly Lazy<IReadOnlyList<string>> ShortProseWords = new(() => ProseWordsOf(2, 3).ToList());

    private static IEnumerable<string> ProseWordsOf(int shortest, int longest) =>
        ProseCorpus.For(TemplateSplit.Training).Sentences
            .SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(w => w.Trim('.', ',', ';', ':', '!', '?', '"', '\'', '(', ')'))
            .Where(w => w.Length >= shortest && w.Length <= longest && IsPlainTrainingWord(w));

    // Lower-case ASCII letters only, and no held-out word: what training may take from its prose.
    private static bool IsPlainTrainingWord(string word) => word.All(c => c is >= 'a' and <= 'z') && !HeldOutWords.Contains(word);
}
