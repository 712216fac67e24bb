namespace Sdtp.Evaluation.Tasks;

/// <summary>
/// Multi-key retrieval (like RULER's niah_multikey): several "Code for KEY: NUMBER." needles at random depths, one
/// of them (at the chosen depth) asked for. Keys in a sample differ in their last word, and the code follows the key
/// directly: a byte-level model then needs to match only the key's end, which an 8-layer model learns in minutes
/// (with "the code for KEY is NUMBER" it had not after 1,100 steps). Distractor keys make random and window guess.
/// </summary>
/// <param name="minKeys">Fewest needles per sample (the curriculum starts low).</param>
/// <param name="maxKeys">Most needles per sample.</param>
public sealed class MultiKeyTask(int minKeys = 2, int maxKeys = 6) : IEvalTask
{
    private static readonly string[] Colors = ["red", "blue", "green", "gold", "gray", "pink", "black", "white"];
    private static readonly string[] Animals = ["fox", "owl", "cat", "elk", "bee", "ram", "yak", "eel"];

    /// <inheritdoc/>
    public string Name => "multikey";

    /// <inheritdoc/>
    public bool IsRetrieval => true;

    private static string Question(string key) => $"What is the code for {key}? Code for {key}:";

    /// <inheritdoc/>
    public TaskSample Generate(int length, double depth, Random random)
    {
        int count = random.Next(minKeys, maxKeys + 1);
        var animals = Animals.OrderBy(_ => random.Next()).Take(Math.Min(count, Animals.Length)).ToArray();
        var keys = animals.Select(a => $"{Colors[random.Next(Colors.Length)]} {a}").ToArray();
        var codes = keys.Select(_ => FillerText.Number(random, 4)).ToArray();
        var needles = keys.Select((k, i) => (i == 0 ? depth : random.NextDouble(), $"Code for {k}: {codes[i]}.")).ToList();
        var question = Question(keys[0]);
        var (prompt, offsets) = HaystackBuilder.Build("Codes for several keys are hidden in the text below.", needles, question, length, random);
        var context = prompt[..^question.Length];
        return new TaskSample(Name, prompt, " " + codes[0], depth, offsets)
        {
            OtherQueries = keys.Skip(1).Select((k, i) => (context + Question(k), " " + codes[i + 1])).ToList(),
            QuestionStart = context.Length,
        };
    }
}
