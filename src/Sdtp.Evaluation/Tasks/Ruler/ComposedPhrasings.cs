namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>
/// Training phrasings built from parts (openers, relations, verbs, key/value order, question forms and answer cues), so
/// that training sees thousands of surface forms instead of a few sentences and must learn to find the key and copy
/// the value rather than memorise a frame. Only the training split composes; the held-out phrasings stay the fixed
/// lists of <see cref="Phrasings"/>, and a composed template that matches one of them, or a development phrasing, is
/// drawn again (<see cref="Phrasings.MatchesReserved"/>). The parts avoid the held-out sentences' distinctive words and cues.
/// </summary>
public static class ComposedPhrasings
{
    private static readonly string[] Openers =
        ["", "", "", "Remember this: ", "Note that ", "Keep in mind that ", "For the record, ", "Important: ", "Fact: ",
         "By the way, ", "As noted before, ", "Be aware that ", "Do not forget: ", "Here is a fact: ", "Also, ", "Officially, "];

    private static readonly string[] Qualifiers =
        ["", "", "special ", "secret ", "magic ", "hidden ", "special magic ", "assigned ", "chosen ", "private ", "official ", "lucky "];

    private static readonly string[] Relations = ["for", "of", "for", "of", "belonging to", "linked to", "that goes with", "owned by", "kept for"];

    private static readonly string[] Copulas = ["is", "is", "is:", "equals", "reads", "=", "was", "is set to", "is exactly", "is simply"];

    private static readonly string[] KeyFirstVerbs =
        ["has the {q}{kind}", "goes with the {kind}", "maps to", "uses the {q}{kind}", "owns the {kind}", "gets the {q}{kind}",
         "comes with the {kind}", "holds the {q}{kind}", "keeps the {kind}", "->", ":", "has {kind}", "is linked to the {kind}",
         "corresponds to", "points to", "was assigned the {kind}", "now has the {q}{kind}", "matches"];

    private static readonly string[] ValueFirstRelations =
        ["is the {q}{kind} {rel} {key}", "belongs to {key}", "goes with {key}", "is what {key} holds", "is the {kind} {key} uses",
         "was chosen for {key}", "is linked to {key}", "is kept for {key}"];

    private static readonly string[] Endings = [".", ".", ".", "!", " (remember it).", ". Keep it safe.", ". Do not lose it."];

    private static readonly string[] QuestionPrefixes =
        ["", "", "", "Question: ", "Look back at the text. ", "From the text above: ", "Quick question. ", "Now, ", "Q: ", "One more thing. "];

    private static readonly string[] SingleAsks =
        ["What is the {q}{kind} {rel} {key}?", "Which {kind} goes with {key}?", "Tell me the {kind} {rel} {key}.",
         "Recall the {kind} {rel} {key}.", "Name the {q}{kind} {rel} {key}.", "What {kind} does {key} have?",
         "Give me the {kind} {rel} {key}.", "Find the {kind} {rel} {key}.", "{key}: what is its {kind}?",
         "What was written for {key}?", "Look up {key}. What is its {kind}?", "What does {key} map to?"];

    private static readonly string[] SingleCues =
        ["Answer:", "Answer:", "It is", "The {kind} is", "The {kind} {rel} {key} is", "A:", "Result:", "Output:", "The value is",
         "Here it is:", "My answer:", "It was", "{key} ->", "The {kind}:", "Solution:", "Value:", "I recall it is", "This {kind} is"];

    private static readonly string[] MultiValueAsks =
        ["What are all the {q}{kinds} {rel} {key}?", "List every {kind} {rel} {key}.", "Name each {kind} {rel} {key}.",
         "Which {kinds} go with {key}?", "Give all {kinds} {rel} {key}.", "Find all the {kinds} {rel} {key}.",
         "What {kinds} does {key} have?", "Recall every {q}{kind} {rel} {key}."];

    private static readonly string[] PluralCues =
        ["Answer:", "Answer:", "They are", "The {kinds} are", "A:", "Result:", "Output:", "The values are", "Here they are:",
         "All of them:", "List:", "Values:", "Solution:", "In order:"];

    private static readonly string[] MultiQueryAsks =
        ["What are the {kinds} {rel} {key} and {key2}?", "Tell me the {kind} {rel} {key} and the {kind} {rel} {key2}.",
         "Which {kinds} go with {key} and {key2}?", "Give the {kinds} for {key} and for {key2}.",
         "Recall the {kinds} of both {key} and {key2}.", "Name the {q}{kinds} {rel} {key} and {key2}.",
         "What do {key} and {key2} map to?", "Find the {kind} of {key}, then the {kind} of {key2}."];

    private static readonly string[] VariableAsks =
        ["Which variables hold {value}?", "Find every variable equal to {value}.", "List the variables with the value {value}.",
         "What variables have {value}?", "Name each variable set to {value}.", "Which names end up equal to {value}?",
         "Follow the value {value}. Which variables get it?", "Every variable that takes {value}?"];

    private static readonly string[] VariableCues =
        ["Answer:", "Answer:", "They are", "The variables are", "A:", "Result:", "Output:", "Variables:", "Here they are:", "Solution:", "In order:"];

    // How a chain sets its first variable to a value and each later one to the variable before it: one pair per chain,
    // so a chain reads in one style, as the fixed sentences do.
    private static readonly (string ToValue, string ToVariable)[] VariableForms =
    [
        ("{var} = {value}", "{var} = {src}"), ("{var} <- {value}", "{var} <- {src}"), ("{var} gets {value}", "{var} gets {src}"),
        ("{var} becomes {value}", "{var} becomes {src}"), ("{var} is set to {value}", "{var} is set to {src}"),
        ("{var} takes the value {value}", "{var} takes the value of {src}"), ("{var} receives {value}", "{var} receives the value of {src}"),
        ("{var} now holds {value}", "{var} now holds the same as {src}"), ("make {var} equal to {value}", "make {var} equal to {src}"),
        ("give {var} the value {value}", "give {var} the value of {src}"), ("the value of {var} is {value}", "the value of {var} is that of {src}"),
        ("write {value} into {var}", "write {src} into {var}"), ("{value} goes into {var}", "the value of {src} goes into {var}"),
        ("let the variable {var} hold {value}", "let the variable {var} hold {src}"), ("{var} starts as {value}", "{var} copies {src}"),
        ("the name {var} refers to {value}", "the name {var} refers to whatever {src} refers to"),
    ];

    // One open word as the chain's verb, the same in every link ("X dorvels 48213." ... "Y dorvels X.", or "Dorvel X to
    // 48213." ...), for one chain in five: the direction of a binding is read from the order of its names, not from a
    // verb learnt by heart.
    private static (string ToValue, string ToVariable) OpenVariableForm(Random random)
    {
        if (random.Next(2) == 0)
        {
            string verb = OpenVerb(random);
            return ($"{{var}} {verb} {{value}}", $"{{var}} {verb} {{src}}");
        }
        string imperative = WordLists.OpenWord(random);
        return ($"{imperative} {{var}} to {{value}}", $"{imperative} {{var}} to {{src}}");
    }

    private static readonly string[] VariableOpeners = ["", "", "", "Then ", "Next, ", "Now ", "Also, ", "Step: ", "Note: ", "In the program, ", "Later, ", "After that, "];

    private static readonly string[] VariableEndings = [".", ".", ".", ";", "!", ". Keep track of it."];

    /// <summary>
    /// The two needle templates of one variable chain: its first variable set to <c>{value}</c>, then each later
    /// <c>{var}</c> set to the one before, <c>{src}</c>; each with its own opener and ending and its own open frame words
    /// (<see cref="SubstitutedWordShare"/>), neither a held-out or development phrasing.
    /// </summary>
    public static (string Assignment, string Link) VariableChain(Random random)
    {
        var (toValue, toVariable) = random.Next(5) == 0 ? OpenVariableForm(random) : VariableForms[random.Next(VariableForms.Length)];
        string Needle(string body, Random r) => SubstituteFrameWords(Capitalize(Pick(VariableOpeners, r) + body) + Pick(VariableEndings, r), r, keepLast: false);
        return (PhrasingSet.Composed(r => Needle(toValue, r), random), PhrasingSet.Composed(r => Needle(toVariable, r), random));
    }

    private static readonly string[] IntroOpenings =
        ["Read the text below.", "Here is a long text.", "The following document has a few facts in it.", "Study this text.",
         "A text follows.", "Look at the document below.", "What follows is a long piece of text.", "Below is some text."];

    private static readonly string[] IntroFollowUps =
        ["", "", "Remember the facts in it.", "Questions come at the end.", "Some details matter.", "You will be quizzed.",
         "Keep the codes and names in mind."];

    // The value between its key and its kind: "{key} got {value} as its {kind}".
    private static readonly string[] ValueMiddleVerbs = ["got", "received", "took", "was handed", "picked", "drew", "keeps", "ended up with", "was sent"];

    private static readonly string[] KindsAfterValue = ["as its {kind}", "as the {q}{kind}", "for its {kind}", "for a {kind}", "as {q}{kind}", "(its {kind})", "as its {q}{kind}"];

    // A clause that hands the value over after the kind and key have been named: "the code of X, namely 4f2a...".
    private static readonly string[] ClauseLinks = [", namely", ", and it is", " - it is", ", that is,", "; it reads", ", and that is", ". It is", ": just"];

    /// <summary>
    /// A needle template with <c>{key}</c> and <c>{value}</c> (and perhaps <c>{kind}</c>): the kind, key and value in
    /// seven orders and shapes, two of them with a word of the open vocabulary (<see cref="WordLists.OpenWord"/>) as the
    /// verb or the relation, one with a phrase of one to three open or everyday words between the key and its kind
    /// ("{key} is mossed up with the code {value}"), and one opener in four made of open words, so that no frame word is
    /// what marks a binding.
    /// </summary>
    public static string KeyValueNeedle(Random random)
    {
        string body = random.Next(7) switch
        {
            0 => $"the {{q}}{{kind}} {{rel}} {{key}} {Pick(Copulas, random)} {{value}}",
            1 => $"{{key}} {Pick(KeyFirstVerbs, random)} {{value}}",
            2 => $"{{value}} {Pick(ValueFirstRelations, random)}",
            3 => $"{{key}} {Pick(ValueMiddleVerbs, random)} {{value}} {Pick(KindsAfterValue, random)}",
            4 => $"the {{q}}{{kind}} {{rel}} {{key}}{Pick(ClauseLinks, random)} {{value}}",
            6 => $"{{key}} {string.Join(' ', OpenOrEverydayWords(random, random.Next(1, 4)))} the {{q}}{{kind}} {{value}}",
            _ => random.Next(2) == 0
                ? $"{{key}} {OpenVerb(random)} the {{q}}{{kind}} {{value}}"
                : $"the {{kind}} {WordLists.OpenWord(random)} {Pick(Relations, random)} {{key}} {Pick(Copulas, random)} {{value}}",
        };
        string opener = random.Next(4) == 0 ? OpenPreamble(random) : Pick(Openers, random);
        return SubstituteFrameWords(Parts(Capitalize(opener + body) + Pick(Endings, random), random), random, keepLast: false);
    }

    // An open word read as a verb: "{key} blorves the code ...".
    private static string OpenVerb(Random random) => WordLists.OpenWord(random) + "s";

    private static readonly string[] PreambleForms = ["{open}, ", "{open} {open}: ", "in the {open}, ", "according to the {open}, ", "{open} says ", "as the {open} {open} shows, ", "{open} - "];

    private static readonly string[] ProsePreambleEnds = [", ", ", ", ": ", " - "];

    /// <summary>
    /// An opener of open words ("in the marlow, ", "tivem drossa: ") or, one time in three, the first two to five words
    /// of a training-prose sentence ("and so it was, "): openers are no closed list, and everyday words in everyday order
    /// may come before a needle or a question as readily as made-up ones.
    /// </summary>
    private static string OpenPreamble(Random random) => random.Next(3) == 0
        ? WordLists.ProseOpening(random, random.Next(2, 6)) + Pick(ProsePreambleEnds, random)
        : FillOpenWords(Pick(PreambleForms, random), random);

    // The value right after the key, with at most one word between: a binding that needs no search across a sentence.
    private static readonly string[] AdjacentSeparators = [": ", " = ", " -> ", " is ", ", ", " - ", " has ", " gets "];

    /// <summary>A needle template whose value follows its key directly (<see cref="TrainingBridge.AdjacentNeedleShare"/>).</summary>
    public static string AdjacentKeyValueNeedle(Random random) =>
        Capitalize(Pick(Openers, random)) + "{key}" + Pick(AdjacentSeparators, random) + "{value}" + Pick(Endings, random);

    // Where FillOpenWords puts a word of the open vocabulary.
    private const string OpenWordSlot = "{open}";

    // Asks whose verb and participle are open words ("Dravel the code mossed for {key}."), as a request may be worded
    // with any verb: one ask in four of every family.
    private static readonly string[] OpenSingleAsks = ["{open} the {kind} {open} {rel} {key}.", "{open} me the {kind} of {key}.", "{open} the {q}{kind} {rel} {key}?"];
    private static readonly string[] OpenMultiValueAsks = ["{open} every {kind} {open} {rel} {key}.", "{open} all the {kinds} of {key}."];
    private static readonly string[] OpenMultiQueryAsks = ["{open} the {kinds} {open} {rel} {key} and {key2}.", "{open} me the {kinds} of {key} and {key2}."];
    private static readonly string[] OpenVariableAsks = ["{open} every variable {open} {value}.", "{open} the variables that {open} {value}?", "Which variables {open} {value}?", "{open} me each name {open} {value}."];

    /// <summary>A question about one key, ending where the answer begins.</summary>
    public static string SingleQuestion(Random random) => Question(SingleAsks, SingleCues, random, OpenSingleAsks);

    /// <summary>A question about every value of one key.</summary>
    public static string MultiValueQuestion(Random random) => Question(MultiValueAsks, PluralCues, random, OpenMultiValueAsks);

    /// <summary>A question about two keys at once.</summary>
    public static string MultiQueryQuestion(Random random) => Question(MultiQueryAsks, PluralCues, random, OpenMultiQueryAsks);

    /// <summary>A question about every variable that holds a value.</summary>
    public static string VariableQuestion(Random random) => Question(VariableAsks, VariableCues, random, OpenVariableAsks);

    /// <summary>An opening line.</summary>
    public static string Intro(Random random) => (Pick(IntroOpenings, random) + " " + Pick(IntroFollowUps, random)).TrimEnd();

    private static string Question(string[] asks, string[] cues, Random random, string[] openAsks)
    {
        string ask = random.Next(4) == 0 ? FillOpenWords(Pick(openAsks, random), random) : Pick(asks, random);
        string lead = random.Next(OpenLeadInOneIn) == 0 ? Capitalize(OpenPreamble(random)) + LowerFirst(ask) : Pick(QuestionPrefixes, random) + Capitalize(ask);
        string question = Parts(lead + " " + (random.Next(OpenCueOneIn) == 0 ? OpenCue(random) : Pick(cues, random)), random);
        return SubstituteFrameWords(question, random, keepLast: true);
    }

    /// <summary>
    /// One composed question in this many opens with a lead-in of open words (<see cref="OpenPreamble"/>: "Tivem drossa:
    /// which code ...") instead of a listed prefix, as a request may start with any words before it asks.
    /// </summary>
    public const int OpenLeadInOneIn = 4;

    private static string FillOpenWords(string template, Random random)
    {
        var parts = template.Split(OpenWordSlot);
        return string.Concat(parts.Skip(1).Select(part => WordLists.OpenWord(random) + part).Prepend(parts[0]));
    }

    /// <summary>One composed question in this many ends with an <see cref="OpenCue"/> instead of one of the listed cues.</summary>
    public const int OpenCueOneIn = 2;

    // How an open cue hands over to the answer: a sign, "is", "are", or nothing but its last open word.
    private static readonly string[] OpenCueEnds = [":", ":", " is", " are", " -", " =", ",", "", ""];

    /// <summary>
    /// A cue no list holds: one to four words of the open vocabulary (made-up or training-prose words, never held-out
    /// ones) or everyday short words, or the opening words of a training-prose sentence, the first perhaps followed by a
    /// comma, then a colon, "is", "are", a sign or nothing; never a listed cue nor the cue of a held-out or development
    /// question (<see cref="Phrasings.IsReservedCue"/>). A listed cue can be learnt as a token to answer after; a cue
    /// that changes from question to question teaches that whatever words close a question hand over to its answer,
    /// which is what a phrasing never seen in training asks of the model.
    /// </summary>
    public static string OpenCue(Random random)
    {
        while (true)
        {
            int count = random.Next(1, 5);
            var words = random.Next(3) == 0
                ? WordLists.ProseOpening(random, count).Split(' ')
                : OpenOrEverydayWords(random, count);
            if (count > 1 && random.Next(4) == 0) words[0] += ",";
            string cue = Capitalize(string.Join(' ', words)) + Pick(OpenCueEnds, random);
            if (!ListedCues.Contains(cue, StringComparer.OrdinalIgnoreCase) && !Phrasings.IsReservedCue(cue)) return cue;
        }
    }

    // One cue in three is the opening of a prose sentence ("And so it was:"), and in the others one word in three is an
    // everyday short word ("Yes, we dorvel"): a cue of common words in common order hands over to the answer as a made-up
    // one does, rather than reading as the start of more prose. Binding phrases of needles draw their words the same way.
    private static string[] OpenOrEverydayWords(Random random, int count) => Enumerable.Range(0, count).Select(_ => OpenOrEverydayWord(random)).ToArray();

    // An open word or, one time in three, an everyday short word.
    private static string OpenOrEverydayWord(Random random) => random.Next(3) == 0 ? WordLists.ShortWord(random) : WordLists.OpenWord(random);

    private static readonly string[] ListedCues = [.. SingleCues, .. PluralCues, .. VariableCues];

    /// <summary>Chance that a frame word of a composed needle, variable link or question is replaced by an open word.</summary>
    public const double SubstitutedWordShare = 0.3;

    // Any frame word may be one that training never showed: each word of the template that is not a slot is replaced,
    // with probability SubstitutedWordShare, by an open word or, one time in three, an everyday short word (its capital
    // and trailing punctuation kept). A question keeps its last word, the hand-over to its answer.
    private static string SubstituteFrameWords(string template, Random random, bool keepLast)
    {
        var words = template.Split(' ');
        for (int i = 0; i < words.Length - (keepLast ? 1 : 0); i++)
        {
            var word = words[i];
            int end = word.Length;
            while (end > 0 && !char.IsLetter(word[end - 1])) end--;
            if (end == 0 || !word[..end].All(char.IsLetter) || random.NextDouble() >= SubstitutedWordShare) continue;
            var open = OpenOrEverydayWord(random);
            words[i] = (char.IsUpper(word[0]) ? Capitalize(open) : open) + word[end..];
        }
        return string.Join(' ', words);
    }

    // One qualifier and one relation per template, so "the {kind} of {key}" reads the same wherever it recurs.
    private static string Parts(string template, Random random) =>
        template.Replace("{q}", Pick(Qualifiers, random), StringComparison.Ordinal).Replace("{rel}", Pick(Relations, random), StringComparison.Ordinal);

    private static string Pick(string[] parts, Random random) => parts[random.Next(parts.Length)];

    private static string LowerFirst(string text) => text.Length > 0 && char.IsUpper(text[0]) ? char.ToLowerInvariant(text[0]) + text[1..] : text;

    // A template may start with a slot ("{key} maps to ..."): only a letter is capitalised.
    private static string Capitalize(string text) => text.Length > 0 && char.IsLower(text[0]) ? char.ToUpperInvariant(text[0]) + text[1..] : text;
}
