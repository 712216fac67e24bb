namespace Sdtp.Evaluation.Tasks;

/// <summary>
/// Multi-value retrieval: three numbers at three distant depths (the first at the chosen depth, the others spread
/// after it, wrapping round), all three asked for in order. Any one dropped needle fails the sample.
/// </summary>
public sealed class MultiValueTask : IEvalTask
{
    private static readonly string[] Ordinals = ["first", "second", "third"];

    /// <inheritdoc/>
    public string Name => "multivalue";

    /// <inheritdoc/>
    public bool IsRetrieval => true;

    /// <inheritdoc/>
    public TaskSample Generate(int length, double depth, Random random)
    {
        var values = Enumerable.Range(0, 3).Select(_ => FillerText.Number(random, 3)).ToArray();
        var needles = values.Select((v, i) => ((depth + i / 3.0) % 1.0, $"The {Ordinals[i]} number is {v}.")).ToList();
        var (prompt, offsets) = HaystackBuilder.Build("Three numbers are hidden in the text below.", needles,
            "What are the three numbers in order? They are", length, random);
        return new TaskSample(Name, prompt, " " + string.Join(" ", values), depth, offsets);
    }
}
