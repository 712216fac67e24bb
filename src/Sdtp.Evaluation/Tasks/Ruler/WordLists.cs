namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>
/// Words for keys and word values, written for this project. Every fourth word of each list is held out: only held-out
/// evaluation uses it, so a held-out sample's keys and word answers were never seen in training.
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

    /// <summary>A random word of <paramref name="list"/> that <paramref name="split"/> may use.</summary>
    public static string Pick(IReadOnlyList<string> list, TemplateSplit split, Random random)
    {
        var words = For(list, split);
        return words[random.Next(words.Count)];
    }
}
