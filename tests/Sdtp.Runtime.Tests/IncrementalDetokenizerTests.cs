using System.Text;
using Sdtp.Generation;
using Sdtp.Tokenization;

namespace Sdtp.Runtime.Tests;

public class IncrementalDetokenizerTests
{
    private const string Text = "naïve café — Ελληνικά, русский, 中文字符, العربية, हिन्दी, 🎉🧪👩‍🔬 done.";

    private static List<string> Stream(ITextTokenizer tokenizer, IReadOnlyList<int> ids)
    {
        var detokenizer = new IncrementalDetokenizer(tokenizer);
        var chunks = ids.Select(detokenizer.Push).Where(c => c.Length > 0).ToList();
        var rest = detokenizer.Flush();
        if (rest.Length > 0) chunks.Add(rest);
        return chunks;
    }

    [Fact]
    public void Byte_tokens_stream_whole_characters_in_every_script()
    {
        var tokenizer = new ByteTokenizer();
        var ids = tokenizer.Encode(Text);
        Assert.True(ids.Count > Text.Length); // many characters take several byte tokens
        var chunks = Stream(tokenizer, ids);
        Assert.Equal(Text, string.Concat(chunks));
        Assert.All(chunks, c => Assert.DoesNotContain('\uFFFD', c));
        // Decoding one token at a time, as streaming did before, shows what this prevents.
        Assert.Contains('\uFFFD', string.Concat(ids.Select(id => tokenizer.Decode([id]))));
    }

    [Fact]
    public void Byte_level_bpe_tokens_stream_whole_characters()
    {
        using var dir = new TempDirectory();
        // A tiktoken-style model: every byte a token, plus a few merges, so emoji and CJK split across tokens.
        var lines = Enumerable.Range(0, 256).Select(b => $"{Convert.ToBase64String([(byte)b])} {b}").ToList();
        string[] merged = ["na", "ca", "fé", " d", "one"];
        lines.AddRange(merged.Select((m, i) => $"{Convert.ToBase64String(Encoding.UTF8.GetBytes(m))} {256 + i}"));
        File.WriteAllLines(dir.File("tokenizer.model"), lines);
        var tokenizer = TokenizerLoader.Load(dir.Path);
        var ids = tokenizer.Encode(Text);
        var chunks = Stream(tokenizer, ids);
        Assert.Equal(Text, string.Concat(chunks));
        Assert.All(chunks, c => Assert.DoesNotContain('\uFFFD', c));
    }

    [Fact]
    public void Invalid_bytes_are_released_instead_of_held_forever()
    {
        var tokenizer = new ByteTokenizer();
        var detokenizer = new IncrementalDetokenizer(tokenizer);
        var held = string.Concat(Enumerable.Repeat(0xFF + ByteTokenizer.ByteOffset, 8).Select(detokenizer.Push));
        Assert.Equal(new string('\uFFFD', 8), held); // 0xFF never starts a character: after 8 held tokens they come out
        Assert.Equal("a", detokenizer.Push('a' + ByteTokenizer.ByteOffset) + detokenizer.Flush());
    }
}
