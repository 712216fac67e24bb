using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Serving.Templates;
using Sdtp.Tokenization;
using static TorchSharp.torch;

namespace Sdtp.Serving;

/// <summary>
/// A pruned prefill that reports what it kept: fills <paramref name="cache"/> from <paramref name="inputIds"/> [1, T]
/// and returns the last logits with the pruning report.
/// </summary>
public delegate PrefillResult PrunedPrefillFunc(LlamaForCausalLM model, Tensor inputIds, KvCache cache);

/// <summary>
/// What a chat client serves: a loaded model, its tokenizer and chat template, and its SDTP prefill (null when the
/// model has no trained heads and can only run dense).
/// </summary>
/// <param name="ModelId">The name clients see (<c>model</c> in OpenAI requests).</param>
public sealed record ServedModel(LlamaForCausalLM Model, ITextTokenizer Tokenizer, ChatTemplate Template, PrunedPrefillFunc? SdtpPrefill, string ModelId)
{
    /// <summary>
    /// The SDTP prefill at another keep ratio per stage (the same stage layers, heads and always-kept tokens; the
    /// runtime's reference loop), or null when the model has no heads. Heads rank tokens; the ratio only sets how many
    /// each stage keeps, as the evaluation's accuracy-vs-budget sweep does.
    /// </summary>
    public Func<double, PrunedPrefillFunc>? AtKeepRatio { get; init; }

    private static Func<double, PrunedPrefillFunc> Rescaled(PruningSchedule schedule, SaliencyHeadScorer scorer) => ratio =>
    {
        var scaled = schedule.AtKeepRatio(ratio);
        return (m, ids, cache) => PrunedPrefill.Run(m, scaled, scorer, ids, cache: cache);
    };

    /// <summary>An annotated model served through its generated forward (its heads must be trained or loaded).</summary>
    public static ServedModel Annotated(ISdtpModel model, ITextTokenizer tokenizer, ChatTemplate template, string modelId)
    {
        model.SdtpHeads.EnsureTrained();
        return new(model.Model, tokenizer, template, (_, ids, cache) => model.SdtpPrefill(ids, cache: cache), modelId)
        {
            AtKeepRatio = Rescaled(model.SdtpSchedule, new SaliencyHeadScorer(model.SdtpHeads)),
        };
    }

    /// <summary>Any model served through the runtime's reference pruned prefill with <paramref name="heads"/> (trained or loaded).</summary>
    public static ServedModel Reference(LlamaForCausalLM model, PruningSchedule schedule, SaliencyHeads heads, ITextTokenizer tokenizer,
        ChatTemplate template, string modelId)
    {
        var scorer = new SaliencyHeadScorer(heads);
        return new(model, tokenizer, template, (m, ids, cache) => PrunedPrefill.Run(m, schedule, scorer, ids, cache: cache), modelId)
        {
            AtKeepRatio = Rescaled(schedule, scorer),
        };
    }
}
