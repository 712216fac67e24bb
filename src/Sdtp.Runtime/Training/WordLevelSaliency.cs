using Sdtp.Tokenization;

namespace Sdtp.Training;

/// <summary>
/// Head-training targets at word level: every token of a word (a run of tokens between whitespace) gets the largest
/// saliency of any token in it, at every stage; whitespace tokens keep their own.
/// <para>
/// Why: the misses of heads trained on token-level saliency were copy errors with every needle digit kept, the
/// letters and the period around the number pruned (`979.` kept as `979_`, then answered `999`). Gradient x input
/// rates those neighbours low although the model's copying needs them; raising them to their word's value keeps
/// needle words whole. On the tuning set it removed the multivalue collapses of single seeds (docs/experiments.md, "Choices
/// kept").
/// </para>
/// </summary>
public static class WordLevelSaliency
{
    /// <summary>
    /// The samples with word-level saliency (ids, targets unchanged). With <paramref name="spaceJoinsNextWord"/>, the
    /// whitespace before a word is part of it (as a BPE token's leading space is), so a head that keeps a word keeps
    /// the space that separates it; otherwise whitespace tokens keep their own saliency.
    /// </summary>
    public static IReadOnlyList<MarkedSample> Apply(IReadOnlyList<MarkedSample> samples, ITextTokenizer tokenizer, bool spaceJoinsNextWord = false)
    {
        // Shared: the samples repeat the same few ids thousands of times.
        var (isBreak, isEmpty) = (BreakTest(tokenizer), EmptyTest(tokenizer));
        return samples.Select(sample =>
        {
            var words = WordIds(sample.Ids, isBreak, spaceJoinsNextWord, isEmpty);
            return new MarkedSample(sample.Ids, sample.Targets, sample.Saliency.Select(s => MaxPerWord(s, words)).ToArray());
        }).ToList();
    }

    /// <summary>The samples with the targets of <paramref name="level"/> (token-level: the samples themselves).</summary>
    public static IReadOnlyList<MarkedSample> Apply(IReadOnlyList<MarkedSample> samples, ITextTokenizer tokenizer, SaliencyTargetLevel level) =>
        level == SaliencyTargetLevel.Token ? samples : Apply(samples, tokenizer, spaceJoinsNextWord: level == SaliencyTargetLevel.WordAndSpace);

    /// <summary>
    /// One id per token: tokens between whitespace share an id, a token that decodes to whitespace only (or to
    /// nothing, like BOS) has its own.
    /// </summary>
    public static int[] WordIds(IReadOnlyList<long> ids, ITextTokenizer tokenizer, bool spaceJoinsNextWord = false) =>
        WordIds(ids, BreakTest(tokenizer), spaceJoinsNextWord, EmptyTest(tokenizer));

    private static int[] WordIds(IReadOnlyList<long> ids, Func<long, bool> isBreak, bool spaceJoinsNextWord, Func<long, bool> isEmpty)
    {
        var words = new int[ids.Count];
        int word = -1;
        bool previousBreak = true, previousEmpty = true;
        for (int i = 0; i < ids.Count; i++)
        {
            bool breaks = isBreak(ids[i]), empty = isEmpty(ids[i]);
            bool starts = spaceJoinsNextWord
                // A run of whitespace opens a word that the following text continues; a token of nothing (BOS) stands alone.
                ? empty || previousEmpty || breaks && !previousBreak
                : breaks || previousBreak;
            if (starts) word++;
            words[i] = word;
            (previousBreak, previousEmpty) = (breaks, empty);
        }
        return words;
    }

    // Whether a token id decodes to nothing at all (BOS, EOS).
    private static Func<long, bool> EmptyTest(ITextTokenizer tokenizer) => DecodedTest(tokenizer, text => text.Length == 0);

    // Whether a token id decodes to whitespace or nothing.
    private static Func<long, bool> BreakTest(ITextTokenizer tokenizer) => DecodedTest(tokenizer, string.IsNullOrWhiteSpace);

    // A test of what a token id decodes to, decoding each distinct id once.
    private static Func<long, bool> DecodedTest(ITextTokenizer tokenizer, Func<string, bool> test)
    {
        var known = new Dictionary<long, bool>();
        return id =>
        {
            if (!known.TryGetValue(id, out bool result))
                known[id] = result = test(tokenizer.Decode([(int)id]));
            return result;
        };
    }

    /// <summary>Each value replaced by the largest value among the tokens of its word.</summary>
    public static float[] MaxPerWord(float[] values, int[] words)
    {
        if (values.Length != words.Length)
            throw new ArgumentException($"{values.Length} saliency values for {words.Length} tokens", nameof(values));
        var max = new float[words.Length == 0 ? 0 : words[^1] + 1];
        Array.Fill(max, float.NegativeInfinity);
        for (int i = 0; i < values.Length; i++) max[words[i]] = Math.Max(max[words[i]], values[i]);
        return values.Select((_, i) => max[words[i]]).ToArray();
    }
}
