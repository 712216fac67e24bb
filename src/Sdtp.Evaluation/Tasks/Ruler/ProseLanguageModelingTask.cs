namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>
/// Language modelling on natural prose: consecutive sentences of the split's prose to the chosen length, then the next
/// <see cref="LanguageModelingTask.ContinuationLength"/> characters scored by next-token loss.
/// </summary>
public sealed class ProseLanguageModelingTask(TemplateSplit split) : RulerTask(split)
{
    /// <inheritdoc/>
    public override string Family => "lm_prose";

    /// <inheritdoc/>
    public override bool IsRetrieval => false;

    /// <inheritdoc/>
    public override TaskSample Generate(int length, double depth, Random random)
    {
        var next = ProseCorpus.For(Sources.Prose).Open(random);
        // The context is whole sentence pieces up to the length; the continuation starts with the next piece.
        var context = new System.Text.StringBuilder(next());
        var piece = next();
        while (context.Length + 1 + piece.Length <= length)
        {
            context.Append(' ').Append(piece);
            piece = next();
        }
        var rest = new System.Text.StringBuilder(" ").Append(piece);
        while (rest.Length < LanguageModelingTask.ContinuationLength) rest.Append(' ').Append(next());
        return new TaskSample(Name, context.ToString(), rest.ToString(0, LanguageModelingTask.ContinuationLength), double.NaN, []);
    }
}
