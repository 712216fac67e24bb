using System.Text;

namespace Sdtp.Tokenization;

/// <summary>
/// The tokenizer of the project's own small models: one token per UTF-8 byte, after three specials
/// (0 = padding, 1 = BOS, 2 = EOS). No vocabulary file to ship, and every string round-trips.
/// </summary>
public sealed class ByteTokenizer : ITextTokenizer
{
    /// <summary>Padding id.</summary>
    public const int PadId = 0;
    /// <summary>Id of the first byte value (byte b is id b + ByteOffset).</summary>
    public const int ByteOffset = 3;
    /// <summary>Ids used: the specials and 256 bytes.</summary>
    public const int VocabSize = ByteOffset + 256;

    /// <inheritdoc/>
    public int? BosId => 1;
    /// <inheritdoc/>
    public int? EosId => 2;

    /// <inheritdoc/>
    public IReadOnlyList<int> Encode(string text, bool addBos = false)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var ids = new List<int>(bytes.Length + 1);
        if (addBos) ids.Add(BosId!.Value);
        foreach (var b in bytes) ids.Add(b + ByteOffset);
        return ids;
    }

    /// <inheritdoc/>
    public string Decode(IEnumerable<int> ids)
    {
        var bytes = ids.Where(id => id is >= ByteOffset and < VocabSize).Select(id => (byte)(id - ByteOffset)).ToArray();
        return Encoding.UTF8.GetString(bytes);
    }
}
