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
    public static string Generate(LlamaForCausalLM model, ITextTokenizer tokenizer, TaskSample sample, Prefill? prefill = null) =>
        tokenizer.Decode(Stream(model, tokenizer, sample, prefill).ToList());

    private static IEnumerable<int> Stream(LlamaForCausalLM model, ITextTokenizer tokenizer, TaskSample sample, Prefill? prefill)
    {
        var prompt = tokenizer.Encode(sample.Prompt, addBos: true);
        int answerTokens = tokenizer.Encode(sample.Answer).Count + (sample.Expected.Count > 0 ? ContainsSlack : 0);
        return new TextGenerator(model, prefill).Generate(prompt, new GenerationOptions { MaxNewTokens = answerTokens, StopTokenIds = [-1] });
    }

    /// <summary>Tokens generated past the answer's length when any place in the output may hold the expected strings.</summary>
    public const int ContainsSlack = 8;

    /// <summary>
    /// True when the greedy answer is right: equal to the answer, or holding every expected string. A sample with
    /// expected strings stops decoding as soon as they are all there (more tokens could not remove them).
    /// </summary>
    public static bool ExactMatch(LlamaForCausalLM model, ITextTokenizer tokenizer, TaskSample sample, Prefill? prefill = null)
    {
        if (sample.Expected.Count == 0) return IsRight(sample, Generate(model, tokenizer, sample, prefill));
        var generated = new List<int>();
        foreach (var token in Stream(model, tokenizer, sample, prefill))
        {
            generated.Add(token);
            if (IsRight(sample, tokenizer.Decode(generated))) return true;
        }
        return false;
    }

    /// <summary>Whether <paramref name="output"/> answers <paramref name="sample"/>.</summary>
    public static bool IsRight(TaskSample sample, string output) => sample.Expected.Count == 0
        ? output == sample.Answer
        : sample.Expected.All(e => output.Contains(e, StringComparison.Ordinal));
}
