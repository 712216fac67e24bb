using System.Text.RegularExpressions;

namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>
/// Every phrasing of the suite, written for this project. Each set's held-out phrasings share no sentence frame with its
/// training ones (a test checks that no held-out template occurs in any training or validation sample), so held-out
/// evaluation asks the model to retrieve in words it was never trained on. The needle and question sets also hold a few
/// development phrasings, in neither split, for comparing training recipes without reading the held-out ones. Slots:
/// <c>{key}</c>, <c>{key2}</c>, <c>{value}</c>, <c>{kind}</c> (number, word or code), <c>{kinds}</c> (its plural),
/// <c>{var}</c>, <c>{src}</c>.
/// </summary>
public static class Phrasings
{
    /// <summary>The opening line of a prompt.</summary>
    public static PhrasingSet Intros { get; } = new(
        [
            "Read the text below carefully.",
            "Some facts are hidden in the text below. Remember them.",
            "A few records are hidden in the following text.",
            "Memorize the details hidden in this text; questions follow.",
            "Below is a long passage with a few facts in it. A quiz follows.",
            "Keep track of the codes and names mentioned below.",
        ],
        [
            "Pay attention to the passage that follows, since questions come after it.",
            "The following passage contains information you will be asked about.",
        ],
        ComposedPhrasings.Intro);

    /// <summary>A needle that gives a key its value (single, multi-key, multi-value and multi-query).</summary>
    public static PhrasingSet KeyValueNeedles { get; } = new(
        [
            "One of the special magic {kinds} for {key} is: {value}.",
            "The special {kind} for {key} is {value}.",
            "Remember this: the {kind} of {key} is {value}.",
            "{key} has the secret {kind} {value}.",
            "Note that the {kind} assigned to {key} is {value}.",
            "For {key}, the {kind} to keep in mind is {value}.",
            "The {kind} that belongs to {key} is {value}.",
            "Write down the {kind} for {key}: {value}.",
            "Here is the {kind} for {key}: {value}.",
            "Keep in mind that {key} goes with the {kind} {value}.",
            "{value} is the {kind} for {key}.",
            "The hidden {kind} linked to {key} reads {value}.",
            "{value} belongs to {key} as its {kind}.",
            "The record for {key} lists the {kind} {value}.",
            "Do not forget that {key} maps to {value}.",
            "In the ledger, {value} is written next to {key}.",
        ],
        [
            "Please memorize the {kind} of {key}, which is {value}.",
            "Among the records, {key} is paired with the {kind} {value}.",
            "It is worth knowing that {key} carries the {kind} {value}.",
            "Listed under {key} you will find the {kind} {value}.",
            "{key} was given {value} as its {kind}.",
            "Take note: {value} serves as the {kind} of {key}.",
        ],
        ComposedPhrasings.KeyValueNeedle)
    {
        Development =
        [
            "Our notes show that {key} is tied up with the {kind} {value}.",
            "The {kind} on file for {key} happens to be {value}.",
            "Should anyone ask about {key}, its {kind} is {value}.",
            "{value} - that is the {kind} we use for {key}.",
            "When it comes to {key}, the {kind} is {value}.",
            "Against the name {key} stands the {kind} {value}.",
        ],
    };

    /// <summary>A question about one key (single and multi-key); it ends where the answer begins.</summary>
    public static PhrasingSet SingleQuestions { get; } = new(
        [
            "What is the special magic {kind} for {key} mentioned in the text? The special magic {kind} for {key} is",
            "Which {kind} belongs to {key}? Answer:",
            "Tell me the {kind} of {key}. The {kind} is",
            "What {kind} was given for {key} above? It was",
            "Recall the {kind} for {key}. Answer:",
            "Question: what is the {kind} of {key}? Answer:",
            "What is the {kind} linked to {key}? The {kind} for {key} is",
            "Look back at the text. What is the {kind} for {key}? Answer:",
            "Find the {kind} of {key} in the text above. It is",
            "Give the {kind} that goes with {key}:",
            "Which {kind} goes with {key}? The {kind} is",
            "What was the {kind} of {key}? Answer: the {kind} of {key} is",
            "{key}: which {kind} was listed? It is",
        ],
        [
            "Based on the passage, what {kind} is associated with {key}? The answer is",
            "Can you retrieve the {kind} recorded for {key}? Sure, it is",
            "Report the {kind} tied to {key}. Reply:",
            "I need the {kind} stored for {key}. That {kind} is",
            "Which {kind} did the passage attach to {key}? Response:",
        ],
        ComposedPhrasings.SingleQuestion)
    {
        Development =
        [
            "Going back to the text, which {kind} did {key} have? The {kind} was",
            "Do you remember the {kind} that {key} had? Yes, it was",
            "Name the {kind} we noted for {key}. We noted",
            "What {kind} sits next to {key} in the text? It says",
        ],
    };

    /// <summary>A question about every value of one key (multi-value).</summary>
    public static PhrasingSet MultiValueQuestions { get; } = new(
        [
            "What are all the special magic {kinds} for {key} mentioned in the text? The special magic {kinds} for {key} are",
            "List every {kind} given for {key}. Answer:",
            "Which {kinds} belong to {key}? They are",
            "Name all the {kinds} of {key}. The {kinds} are",
            "Question: what are the {kinds} of {key}? Answer:",
            "Recall each {kind} linked to {key}. Answer:",
            "Find every {kind} for {key} in the text above. They are",
            "Give all the {kinds} that go with {key}:",
        ],
        [
            "Based on the passage, which {kinds} are associated with {key}? The answers are",
            "Report each {kind} tied to {key}. Reply:",
            "I need all the {kinds} stored for {key}. Those {kinds} are",
            "Which {kinds} did the passage attach to {key}? Response:",
        ],
        ComposedPhrasings.MultiValueQuestion)
    {
        Development =
        [
            "Going back to the text, which {kinds} did {key} have? They were",
            "Do you remember every {kind} that {key} had? Yes, they were",
            "Name all the {kinds} we noted for {key}. We noted",
            "What {kinds} sit next to {key} in the text? It says",
        ],
    };

    /// <summary>A question about two keys at once (multi-query).</summary>
    public static PhrasingSet MultiQueryQuestions { get; } = new(
        [
            "What are the special magic {kinds} for {key} and {key2}? The special magic {kinds} for {key} and {key2} are",
            "Which {kinds} belong to {key} and to {key2}? Answer:",
            "Tell me the {kinds} of {key} and {key2}. They are",
            "Question: what are the {kinds} for {key} and {key2}? Answer:",
            "Recall the {kind} of {key} and the {kind} of {key2}. Answer:",
            "Find the {kinds} of {key} and {key2} in the text above. They are",
            "Give the {kinds} that go with {key} and {key2}:",
            "What {kinds} were given for {key} and {key2}? They were",
        ],
        [
            "Based on the passage, which {kinds} are associated with {key} and {key2}? The answers are",
            "Report the {kinds} tied to {key} and {key2}. Reply:",
            "I need the {kinds} stored for {key} and {key2}. Those {kinds} are",
            "Which {kinds} did the passage attach to {key} and {key2}? Response:",
        ],
        ComposedPhrasings.MultiQueryQuestion)
    {
        Development =
        [
            "Going back to the text, which {kinds} did {key} and {key2} have? They were",
            "Do you remember the {kinds} that {key} and {key2} had? Yes, they were",
            "Name the {kinds} we noted for {key} and {key2}. We noted",
            "What {kinds} sit next to {key} and {key2} in the text? It says",
        ],
    };

    /// <summary>The first link of a variable chain: a variable set to a value. Index i goes with <see cref="VariableLinks"/>[i].</summary>
    public static PhrasingSet VariableAssignments { get; } = new(
        [
            "VAR {var} = {value}.",
            "Let {var} be {value}.",
            "Set {var} to {value}.",
            "{var} holds {value}.",
            "Assign {value} to {var}.",
            "The variable {var} equals {value}.",
            "{var} := {value}.",
            "Store {value} in {var}.",
        ],
        [
            "Initialize {var} with {value}.",
            "{var} is defined as {value}.",
            "Put the number {value} into {var}.",
            "We now say {var} stands for {value}.",
        ])
    {
        Development = ["{var} starts off at {value}.", "Fill {var} with {value}.", "From now on {var} means {value}.", "{var} is loaded with {value}."],
    };

    /// <summary>Every later link of a chain: a variable set to another one. Index i goes with <see cref="VariableAssignments"/>[i].</summary>
    public static PhrasingSet VariableLinks { get; } = new(
        [
            "VAR {var} = VAR {src}.",
            "Let {var} be {src}.",
            "Set {var} to the value of {src}.",
            "{var} holds whatever {src} holds.",
            "Assign {src} to {var}.",
            "The variable {var} equals {src}.",
            "{var} := {src}.",
            "Copy {src} into {var}.",
        ],
        [
            "Initialize {var} with {src}.",
            "{var} is defined as {src}.",
            "Put the contents of {src} into {var}.",
            "We now say {var} stands for {src}.",
        ])
    {
        Development = ["{var} starts off equal to {src}.", "Fill {var} with what {src} has.", "From now on {var} means {src}.", "{var} is loaded from {src}."],
    };

    /// <summary>A question about every variable a value reaches (variable tracking).</summary>
    public static PhrasingSet VariableQuestions { get; } = new(
        [
            "Find all variables that are assigned the value {value} in the text above. Answer: the variables are",
            "Which variables end up holding {value}? Answer:",
            "List every variable whose value is {value}. They are",
            "Question: which variables equal {value}? Answer:",
            "Name all the variables that hold {value}:",
            "Trace the value {value}. The variables holding it are",
            "Which names carry the value {value} after all assignments? They are",
            "Every variable that has the value {value}:",
        ],
        [
            "Following the chain of assignments, which variables get {value}? The answer is",
            "Report the variables equal to {value}. Reply:",
            "I need every variable that stores {value}. Those variables are",
            "Which variables did the passage give the value {value}? Response:",
        ],
        ComposedPhrasings.VariableQuestion)
    {
        Development =
        [
            "Going back to the text, which variables ended up as {value}? They were",
            "Do you remember every variable set to {value}? Yes, they were",
            "Name the variables we filled with {value}. We filled",
            "What variables end with the value {value}? It says",
        ],
    };

    /// <summary>
    /// Whether <paramref name="text"/> (a sample or a template) contains a held-out or development phrasing, which no
    /// training draw may: its fixed words in order, each slot standing for 1-40 characters.
    /// </summary>
    public static bool MatchesReserved(string text) => ReservedPatterns.Value.Any(p => p.IsMatch(text));

    /// <summary>
    /// Whether <paramref name="cue"/> is, ignoring case, the last sentence of a held-out or development question ("Sure,
    /// it is", "We noted"): the words that hand over to the answer there, which no composed training cue may be.
    /// </summary>
    public static bool IsReservedCue(string cue) => ReservedCues.Value.Contains(cue.Trim());

    /// <summary>The pattern <see cref="MatchesReserved"/> looks for: <paramref name="template"/>'s text between its slots.</summary>
    public static Regex TemplatePattern(string template) =>
        new(string.Join(".{1,40}?", Regex.Split(template, "\\{[a-z0-9]+\\}").Select(Regex.Escape)), RegexOptions.Compiled);

    /// <summary>Every set, by name, for tests and documentation.</summary>
    public static IReadOnlyDictionary<string, PhrasingSet> All { get; } = new Dictionary<string, PhrasingSet>
    {
        ["intros"] = Intros,
        ["key_value_needles"] = KeyValueNeedles,
        ["single_questions"] = SingleQuestions,
        ["multivalue_questions"] = MultiValueQuestions,
        ["multiquery_questions"] = MultiQueryQuestions,
        ["variable_assignments"] = VariableAssignments,
        ["variable_links"] = VariableLinks,
        ["variable_questions"] = VariableQuestions,
    };

    // After All: static initialisers run in order.
    private static readonly Lazy<HashSet<string>> ReservedCues = new(() => new[] { SingleQuestions, MultiValueQuestions, MultiQueryQuestions, VariableQuestions }
        .SelectMany(set => set.HeldOut.Concat(set.Development))
        .Select(question => Regex.Split(question, "(?<=[.?!]) ")[^1].Trim())
        .ToHashSet(StringComparer.OrdinalIgnoreCase));

    private static readonly Lazy<Regex[]> ReservedPatterns = new(() => All.Values.SelectMany(set => set.HeldOut.Concat(set.Development)).Select(TemplatePattern).ToArray());
}
