using System.Text;

namespace Sdtp.Runtime.Tests;

/// <summary>
/// Writes a tiny SentencePiece BPE model (the protobuf of <c>tokenizer.model</c>) by hand: specials, 256 byte-fallback
/// pieces, a few characters and scored merges.
/// </summary>
internal static class SentencePieceModel
{
    private static readonly List<(string Piece, float Score, int Type)> Pieces = BuildPieces();

    public static int IdOf(string piece) => Pieces.FindIndex(p => p.Piece == piece);

    private static List<(string, float, int)> BuildPieces()
    {
        const int normal = 1, unknown = 2, control = 3, bytePiece = 6;
        var pieces = new List<(string, float, int)> { ("<unk>", 0, unknown), ("<s>", 0, control), ("</s>", 0, control) };
        for (int b = 0; b < 256; b++) pieces.Add(($"<0x{b:X2}>", 0, bytePiece));
        foreach (var c in new[] { "▁", "h", "e", "l", "o" }) pieces.Add((c, -100, normal));
        // Higher score merges first.
        string[] merges = ["he", "ll", "hell", "hello", "▁hello"];
        for (int i = 0; i < merges.Length; i++) pieces.Add((merges[i], -1 - i, normal));
        return pieces;
    }

    public static byte[] Build()
    {
        var model = new MemoryStream();
        foreach (var (piece, score, type) in Pieces)
        {
            var p = new MemoryStream();
            WriteString(p, 1, piece);
            WriteTag(p, 2, 5); p.Write(BitConverter.GetBytes(score));
            WriteTag(p, 3, 0); WriteVarint(p, (ulong)type);
            WriteBytes(model, 1, p.ToArray());
        }
        var trainer = new MemoryStream();
        WriteTag(trainer, 3, 0); WriteVarint(trainer, 2);   // model_type = BPE
        WriteTag(trainer, 35, 0); WriteVarint(trainer, 1);  // byte_fallback = true
        WriteBytes(model, 2, trainer.ToArray());
        var normalizer = new MemoryStream();
        WriteString(normalizer, 1, "identity");
        WriteTag(normalizer, 3, 0); WriteVarint(normalizer, 1); // add_dummy_prefix
        WriteTag(normalizer, 4, 0); WriteVarint(normalizer, 0); // remove_extra_whitespaces
        WriteTag(normalizer, 5, 0); WriteVarint(normalizer, 1); // escape_whitespaces
        WriteBytes(model, 3, normalizer.ToArray());
        return model.ToArray();
    }

    private static void WriteTag(Stream s, int field, int wireType) => WriteVarint(s, (ulong)((field << 3) | wireType));

    private static void WriteVarint(Stream s, ulong value)
    {
        while (value >= 0x80) { s.WriteByte((byte)(value | 0x80)); value >>= 7; }
        s.WriteByte((byte)value);
    }

    private static void WriteBytes(Stream s, int field, byte[] bytes)
    {
        WriteTag(s, field, 2);
        WriteVarint(s, (ulong)bytes.Length);
        s.Write(bytes);
    }

    private static void WriteString(Stream s, int field, string text) => WriteBytes(s, field, Encoding.UTF8.GetBytes(text));
}
