using Sdtp.Generation;
using Sdtp.Modeling;
using Sdtp.Tokenization;

namespace Sdtp.Evaluation.Tasks;

/// <summary>
/// Scores a retrieval sample: greedy decoding of as many tokens as the answer has, compared exactly; or, for a sample
/// with <see cref="TaskSample.Expected"/> strings, a few tokens more, right when every expected string is in it.
/// </summary>
public static class Answers
{
    /// <summary>The model's greedy answer to <paramref name="sample"/>, prefilling with <paramref name="prefill"/> (dense when null).</summary>
    public static string Generate(LlamaForCausalLM model, ITextTokenizer tokenizer, TaskSample sample, Prefill? prefill = null)
    {
        var prompt = tokenizer.Encode(sample.Prompt, addBos: true);
        int answerTokens = tokenizer.Encode(sample.Answer).Count + (sample.Expected.Count > 0 ? ContainsSlack : 0);
        var generated = new TextGenerator(model, prefill)
            .Generate(prompt, new GenerationOptions { MaxNewTokens = answerTokens, StopTokenIds = [-1] })
            .ToList();
        return tokenizer.Decode(generated);
    }

    /// <summary>Tokens generated past the answer's length when any place in the output may hold the expected strings.</summary>
    public const int ContainsSlack = 8;

    /// <summary>True when the greedy answer is right: equal to the answer, or holding every expected string.</summary>
    public static bool ExactMatch(LlamaForCausalLM model, ITextTokenizer tokenizer, TaskSample sample, Prefill? prefill = null) =>
        IsRight(sample, Generate(model, tokenizer, sample, prefill));

    /// <summary>Whether <paramref name="output"/> answers <paramref name="sample"/>.</summary>
    public static bool IsRight(TaskSample sample, string output) => sample.Expected.Count == 0
        ? output == sample.Answer
        : sample.Expected.All(e => output.Contains(e, StringComparison.Ordinal));
}
