namespace Sdtp.Evaluation.Tasks;

/// <summary>
/// Language modelling: a document from <see cref="FillerText"/> of the chosen length, then its next 64 characters as
/// the continuation scored by next-token loss. The cast recurs, so the long context helps predict the names.
/// </summary>
public sealed class LanguageModelingTask : IEvalTask
{
    /// <summary>Characters of continuation scored.</summary>
    public const int ContinuationLength = 64;

    /// <inheritdoc/>
    public string Name => "lm";

    /// <inheritdoc/>
    public bool IsRetrieval => false;

    /// <inheritdoc/>
    public TaskSample Generate(int length, double depth, Random random)
    {
        var cast = FillerText.NewCast(random);
        var text = FillerText.Text(cast, length + ContinuationLength + 80, random);
        // Cut the context at a sentence end near the target length.
        int cut = text.LastIndexOf(". ", Math.Min(length, text.Length - 1), StringComparison.Ordinal);
        cut = cut < length / 2 ? length : cut + 1;
        return new TaskSample(Name, text[..cut], text.Substring(cut, ContinuationLength), double.NaN, []);
    }
}
