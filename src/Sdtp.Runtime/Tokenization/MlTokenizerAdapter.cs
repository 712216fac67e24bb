using Microsoft.ML.Tokenizers;

namespace Sdtp.Tokenization;

/// <summary>A Microsoft.ML.Tokenizers tokenizer behind <see cref="ITextTokenizer"/>, with the checkpoint's BOS/EOS ids.</summary>
public sealed class MlTokenizerAdapter(Tokenizer inner, int? bosId, int? eosId, IReadOnlySet<int>? specialIds = null) : ITextTokenizer
{
    private readonly IReadOnlySet<int> specialIds = specialIds ?? new HashSet<int>();

    /// <summary>The wrapped tokenizer.</summary>
    public Tokenizer Inner => inner;

    /// <inheritdoc/>
    public int? BosId => bosId;
    /// <inheritdoc/>
    public int? EosId => eosId;

    /// <inheritdoc/>
    public IReadOnlyList<int> Encode(string text, bool addBos = false)
    {
        var ids = inner.EncodeToIds(text);
        if (!addBos || bosId is not int bos || (ids.Count > 0 && ids[0] == bos)) return ids;
        var withBos = new List<int>(ids.Count + 1) { bos };
        withBos.AddRange(ids);
        return withBos;
    }

    /// <inheritdoc/>
    public string Decode(IEnumerable<int> ids) =>
        inner.Decode(ids.Where(id => !specialIds.Contains(id) && id != bosId && id != eosId)) ?? "";
}
