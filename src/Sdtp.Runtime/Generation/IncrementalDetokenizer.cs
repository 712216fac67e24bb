using Sdtp.Tokenization;

namespace Sdtp.Generation;

/// <summary>
/// Turns a stream of generated token ids into text chunks that never split a character. A byte-level tokenizer
/// (or a BPE one with byte fallback) spreads one multi-byte UTF-8 character over several tokens, so decoding each token
/// alone prints replacement characters; this decodes a short window ending at the newest token, and releases text
/// only when the window no longer ends in an incomplete character. The window starts a few tokens back, so tokenizers
/// that drop or add a leading space at the start of a decode (SentencePiece's "▁") see their context.
/// </summary>
public sealed class IncrementalDetokenizer(ITextTokenizer tokenizer)
{
    // A UTF-8 character has at most 4 bytes; past this many held tokens the bytes are invalid, not incomplete.
    private const int MaxHeldTokens = 8;
    private const char Replacement = '\uFFFD';
    private readonly List<int> ids = [];
    private int prefixStart, readStart;

    /// <summary>Adds <paramref name="id"/> and returns the text it completes (often empty while a character is incomplete).</summary>
    public string Push(int id)
    {
        ids.Add(id);
        var prefix = Decode(prefixStart, readStart);
        var window = Decode(prefixStart, ids.Count);
        bool incomplete = window.Length > 0 && window[^1] == Replacement && ids.Count - readStart < MaxHeldTokens;
        if (window.Length <= prefix.Length || incomplete || !window.StartsWith(prefix, StringComparison.Ordinal)) return "";
        prefixStart = readStart;
        readStart = ids.Count;
        return window[prefix.Length..];
    }

    /// <summary>Whatever is still held (an incomplete character at the end of generation comes out as U+FFFD).</summary>
    public string Flush()
    {
        var prefix = Decode(prefixStart, readStart);
        var window = Decode(prefixStart, ids.Count);
        prefixStart = readStart = ids.Count;
        return window.Length > prefix.Length && window.StartsWith(prefix, StringComparison.Ordinal) ? window[prefix.Length..] : "";
    }

    private string Decode(int from, int to) => from >= to ? "" : tokenizer.Decode(ids.GetRange(from, to - from));
}
