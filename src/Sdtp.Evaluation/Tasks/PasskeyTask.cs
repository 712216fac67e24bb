namespace Sdtp.Evaluation.Tasks;

/// <summary>Passkey retrieval: a 5-digit number hidden at a chosen depth in filler text, asked for at the end.</summary>
public sealed class PasskeyTask : IEvalTask
{
    /// <inheritdoc/>
    public string Name => "passkey";

    /// <inheritdoc/>
    public bool IsRetrieval => true;

    /// <inheritdoc/>
    public TaskSample Generate(int length, double depth, Random random)
    {
        var key = FillerText.Number(random, 5);
        var (prompt, offsets) = HaystackBuilder.Build(
            "A pass key is hidden in the text below. Remember it.",
            [(depth, $"The pass key is {key}. Remember it. {key} is the pass key.")],
            "What is the pass key? The pass key is", length, random);
        return new TaskSample(Name, prompt, " " + key, depth, offsets);
    }
}
