namespace Sdtp.Evaluation.Tasks;

/// <summary>
/// Multi-key retrieval (like RULER's niah_multikey): several "the code for KEY is NUMBER" needles at random depths,
/// one of them (at the chosen depth) asked for. Distractor keys make the window and random policies guess.
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

    /// <inheritdoc/>
    public TaskSample Generate(int length, double depth, Random random)
    {
        int count = random.Next(minKeys, maxKeys + 1);
        var keys = Colors.SelectMany(c => Animals.Select(a => $"{c}-{a}")).OrderBy(_ => random.Next()).Take(count).ToArray();
        var codes = keys.Select(_ => FillerText.Number(random, 4)).ToArray();
        var needles = keys.Select((k, i) => (i == 0 ? depth : random.NextDouble(), $"The code for {k} is {codes[i]}.")).ToList();
        var (prompt, offsets) = HaystackBuilder.Build("Codes for several keys are hidden in the text below.", needles,
            $"What is the code for {keys[0]}? The code for {keys[0]} is", length, random);
        return new TaskSample(Name, prompt, " " + codes[0], depth, offsets);
    }
}
