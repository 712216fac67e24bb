namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>What a needle's value looks like.</summary>
public enum ValueKind
{
    /// <summary>3 to 7 digits, never starting with 0.</summary>
    Number,

    /// <summary>One English word from <see cref="WordLists"/>.</summary>
    Word,

    /// <summary>A UUID-like string: 8-4-4-4-12 lowercase hex digits.</summary>
    Uuid,
}

/// <summary>Random keys and values of every kind; words come from the split's own half of each list.</summary>
public static class Values
{
    private const string Hex = "0123456789abcdef";

    /// <summary>What the phrasings call a value of <paramref name="kind"/> (singular).</summary>
    public static string KindName(ValueKind kind) => kind switch
    {
        ValueKind.Number => "number",
        ValueKind.Word => "word",
        _ => "code",
    };

    /// <summary>A value of <paramref name="kind"/>.</summary>
    public static string Of(ValueKind kind, TemplateSplit split, Random random) => kind switch
    {
        ValueKind.Number => FillerText.Number(random, random.Next(3, 8)),
        ValueKind.Word => WordLists.Pick(WordLists.Nouns, split, random),
        _ => Uuid(random),
    };

    /// <summary><paramref name="count"/> distinct values of <paramref name="kind"/>.</summary>
    public static string[] Distinct(ValueKind kind, TemplateSplit split, int count, Random random)
    {
        var values = new List<string>(count);
        while (values.Count < count)
        {
            var value = Of(kind, split, random);
            if (!values.Contains(value)) values.Add(value);
        }
        return values.ToArray();
    }

    /// <summary>8-4-4-4-12 lowercase hex digits.</summary>
    public static string Uuid(Random random)
    {
        var chars = new char[36];
        for (int i = 0; i < chars.Length; i++)
            chars[i] = i is 8 or 13 or 18 or 23 ? '-' : Hex[random.Next(16)];
        return new string(chars);
    }

    /// <summary>
    /// <paramref name="count"/> distinct keys of the form <c>adjective-noun</c> or, for one sample in three,
    /// <c>adjective noun</c> (all keys of a call alike), so matching a key is not tied to one spelling. With
    /// <paramref name="similar"/> the keys after the first share its adjective or its noun (RULER's hard distractors),
    /// so only the whole key tells them apart.
    /// </summary>
    public static string[] Keys(TemplateSplit split, int count, Random random, bool similar = false)
    {
        char separator = random.Next(3) == 0 ? ' ' : '-';
        var keys = new List<string>(count);
        while (keys.Count < count)
        {
            string adjective = WordLists.Pick(WordLists.Adjectives, split, random);
            string noun = WordLists.Pick(WordLists.KeyNouns, split, random);
            if (similar && keys.Count > 0 && random.Next(2) == 0)
            {
                var first = keys[0].Split(separator);
                if (random.Next(2) == 0) adjective = first[0]; else noun = first[1];
            }
            var key = $"{adjective}{separator}{noun}";
            if (!keys.Contains(key)) keys.Add(key);
        }
        return keys.ToArray();
    }

    /// <summary><paramref name="count"/> distinct variable names of five capital letters (RULER's variable tracking).</summary>
    public static string[] VariableNames(int count, Random random)
    {
        var names = new List<string>(count);
        while (names.Count < count)
        {
            var name = new string(Enumerable.Range(0, 5).Select(_ => (char)('A' + random.Next(26))).ToArray());
            if (!names.Contains(name)) names.Add(name);
        }
        return names.ToArray();
    }
}
