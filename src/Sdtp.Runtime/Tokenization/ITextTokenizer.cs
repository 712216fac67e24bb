namespace Sdtp.Tokenization;

/// <summary>Text to token ids and back: the little the runtime, the evaluation and the CLI need of a tokenizer.</summary>
public interface ITextTokenizer
{
    /// <summary>Token ids of <paramref name="text"/>, with the BOS id first when <paramref name="addBos"/> and one exists.</summary>
    IReadOnlyList<int> Encode(string text, bool addBos = false);

    /// <summary>The text of <paramref name="ids"/>; special tokens are dropped.</summary>
    string Decode(IEnumerable<int> ids);

    /// <summary>Beginning-of-sequence id, if any.</summary>
    int? BosId { get; }

    /// <summary>End-of-sequence id, if any.</summary>
    int? EosId { get; }
}
