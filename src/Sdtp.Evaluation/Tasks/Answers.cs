using Sdtp.Generation;
using Sdtp.Modeling;
using Sdtp.Tokenization;

namespace Sdtp.Evaluation.Tasks;

/// <summary>Scores a retrieval sample: greedy decoding of as many tokens as the answer has, compared exactly.</summary>
public static class Answers
{
    /// <summary>The model's greedy answer to <paramref name="sample"/>, prefilling with <paramref name="prefill"/> (dense when null).</summary>
    public static string Generate(LlamaForCausalLM model, ITextTokenizer tokenizer, TaskSample sample, Prefill? prefill = null)
    {
        var prompt = tokenizer.Encode(sample.Prompt, addBos: true);
        int answerTokens = tokenizer.Encode(sample.Answer).Count;
        var generated = new TextGenerator(model, prefill)
            .Generate(prompt, new GenerationOptions { MaxNewTokens = answerTokens, StopTokenIds = [-1] })
            .ToList();
        return tokenizer.Decode(generated);
    }

    /// <summary>True when the greedy answer equals the expected one exactly.</summary>
    public static bool ExactMatch(LlamaForCausalLM model, ITextTokenizer tokenizer, TaskSample sample, Prefill? prefill = null) =>
        Generate(model, tokenizer, sample, prefill) == sample.Answer;
}
