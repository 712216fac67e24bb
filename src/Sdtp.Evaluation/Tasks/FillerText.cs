using System.Text;

namespace Sdtp.Evaluation.Tasks;

/// <summary>
/// Plain English-like sentences from a small seeded grammar: the haystack of the retrieval tasks and the text of the
/// language-modelling task. Written for this project (no external corpus, MIT like the rest); a document reuses a
/// handful of named characters and places, so later sentences are partly predictable from earlier ones.
/// </summary>
public static class FillerText
{
    private static readonly string[] Names = ["Mira", "Tobin", "Alys", "Corin", "Edda", "Falk", "Greta", "Hollis", "Ines", "Joss", "Kara", "Lenn"];
    private static readonly string[] Roles = ["baker", "miller", "sailor", "weaver", "smith", "farmer", "scribe", "potter"];
    private static readonly string[] Places = ["Oldport", "the river", "the hill farm", "the market", "Westmere", "the mill", "the harbor", "the old bridge"];
    private static readonly string[] Verbs = ["carried", "found", "sold", "mended", "painted", "counted", "hid", "washed"];
    private static readonly string[] Objects = ["a basket of apples", "the blue boat", "two loaves of bread", "a bundle of wool", "the iron gate", "a jar of honey", "the long rope", "a wooden chair"];
    private static readonly string[] Times = ["In the morning", "At noon", "Before dark", "On the next day", "Later that week", "After the rain"];
    private static readonly string[] Moods = ["The sky was grey.", "The wind came from the sea.", "It was a quiet day.", "The grass was wet.", "The sun was warm."];

    /// <summary>The cast of one document: a few names, each with a role and a home.</summary>
    public sealed record Cast(string[] People, string[] Roles, string[] Homes);

    /// <summary>Picks a cast of three to four characters.</summary>
    public static Cast NewCast(Random random)
    {
        var people = Names.OrderBy(_ => random.Next()).Take(random.Next(3, 5)).ToArray();
        return new Cast(people, people.Select(_ => Roles[random.Next(Roles.Length)]).ToArray(), people.Select(_ => Places[random.Next(Places.Length)]).ToArray());
    }

    /// <summary>One sentence about the cast.</summary>
    public static string Sentence(Cast cast, Random random)
    {
        int who = random.Next(cast.People.Length);
        return random.Next(5) switch
        {
            0 => $"{cast.People[who]} the {cast.Roles[who]} lived near {cast.Homes[who]}.",
            1 => $"{Times[random.Next(Times.Length)]}, {cast.People[who]} {Verbs[random.Next(Verbs.Length)]} {Objects[random.Next(Objects.Length)]}.",
            2 => $"{cast.People[who]} walked to {Places[random.Next(Places.Length)]} with {cast.People[(who + 1) % cast.People.Length]}.",
            3 => Moods[random.Next(Moods.Length)],
            _ => $"The {cast.Roles[who]} {Verbs[random.Next(Verbs.Length)]} {Objects[random.Next(Objects.Length)]} at {cast.Homes[who]}.",
        };
    }

    /// <summary>A source of sentences about one new cast: one haystack's worth of grammar text.</summary>
    public static Func<string> Sentences(Random random)
    {
        var cast = NewCast(random);
        return () => Sentence(cast, random);
    }

    /// <summary>At least <paramref name="length"/> characters of sentences, cut at a sentence end at or after the length.</summary>
    public static string Text(Cast cast, int length, Random random)
    {
        var text = new StringBuilder();
        while (text.Length < length)
        {
            if (text.Length > 0) text.Append(' ');
            text.Append(Sentence(cast, random));
        }
        return text.ToString();
    }

    /// <summary>A string of <paramref name="digits"/> random digits, never starting with 0.</summary>
    public static string Number(Random random, int digits) =>
        (char)('1' + random.Next(9)) + string.Concat(Enumerable.Range(1, digits - 1).Select(_ => (char)('0' + random.Next(10))));
}
