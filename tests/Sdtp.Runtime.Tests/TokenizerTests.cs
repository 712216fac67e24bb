using System.Text;
using Sdtp.Tokenization;

namespace Sdtp.Runtime.Tests;

/// <summary>Each tokenizer format, loaded from small files written here in the real formats.</summary>
public class TokenizerTests
{
    [Fact]
    public void Byte_tokenizer_round_trips_any_utf8_text()
    {
        using var dir = new TempDirectory();
        TokenizerLoader.WriteByteTokenizerMarker(dir.Path);
        var tokenizer = TokenizerLoader.Load(dir.Path);
        const string text = "héllo wörld ✓ 42";
        var ids = tokenizer.Encode(text, addBos: true);
        Assert.Equal(1, ids[0]);
        Assert.Equal(Encoding.UTF8.GetByteCount(text) + 1, ids.Count);
        Assert.Equal('h' + ByteTokenizer.ByteOffset, ids[1]);
        Assert.Equal(text, tokenizer.Decode(ids.Append(2)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Byte_level_bpe_tokenizer_json_applies_merges_in_rank_order(bool pairMerges)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("tokenizer.json"), ByteLevelTokenizerJson(pairMerges));
        File.WriteAllText(dir.File("config.json"), """
            {"model_type": "qwen2", "hidden_size": 8, "intermediate_size": 8, "num_hidden_layers": 1,
             "num_attention_heads": 2, "vocab_size": 264, "eos_token_id": 263}
            """);
        var tokenizer = TokenizerLoader.Load(dir.Path);
        // "hello" merges to one token; " world" to Ġwor + l + d (bytes map to their own ids here).
        Assert.Equal([259, 262, 'l', 'd'], tokenizer.Encode("hello world"));
        Assert.Equal([259, 263], tokenizer.Encode("hello<|endoftext|>"));
        Assert.Equal("hello world!", tokenizer.Decode(tokenizer.Encode("hello world!").Append(263)));
        Assert.Equal(263, tokenizer.EosId);
    }

    [Fact]
    public void Tiktoken_tokenizer_model_merges_by_rank_and_knows_llama3_specials()
    {
        using var dir = new TempDirectory();
        var lines = Enumerable.Range(0, 256).Select(b => $"{Convert.ToBase64String([(byte)b])} {b}").ToList();
        string[] merged = ["he", "ll", "llo", "hello"];
        lines.AddRange(merged.Select((m, i) => $"{Convert.ToBase64String(Encoding.UTF8.GetBytes(m))} {256 + i}"));
        File.WriteAllLines(dir.File("tokenizer.model"), lines);
        var tokenizer = TokenizerLoader.Load(dir.Path);
        Assert.Equal([260, 259], tokenizer.Encode("hello", addBos: true)); // <|begin_of_text|> = number of ranks
        Assert.Equal(261, tokenizer.EosId);
        Assert.Equal([256, 'y'], tokenizer.Encode("hey"));
        Assert.Equal("hello hey", tokenizer.Decode(tokenizer.Encode("hello hey", addBos: true)));
    }

    [Fact]
    public void SentencePiece_model_merges_by_score()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("tokenizer.model"), SentencePieceModel.Build());
        var tokenizer = TokenizerLoader.Load(dir.Path);
        var ids = tokenizer.Encode("hello", addBos: true);
        Assert.Equal([1, SentencePieceModel.IdOf("▁hello")], ids);
        Assert.Equal("hello", tokenizer.Decode(ids));
        // A character with no piece falls back to its UTF-8 bytes.
        var fallback = tokenizer.Encode("hé");
        Assert.Contains(3 + 0xC3, fallback);
        Assert.Equal("hé", tokenizer.Decode(fallback));
    }

    [Fact]
    public void Missing_or_unsupported_tokenizers_are_clear_errors()
    {
        using var dir = new TempDirectory();
        var e1 = Assert.Throws<TokenizerException>(() => TokenizerLoader.Load(dir.Path));
        Assert.Contains("no tokenizer found", e1.Message);
        File.WriteAllText(dir.File("tokenizer.json"), """{"model": {"type": "WordPiece", "vocab": {}}}""");
        var e2 = Assert.Throws<TokenizerException>(() => TokenizerLoader.Load(dir.Path));
        Assert.Contains("field 'model.type' is 'WordPiece'; only BPE is supported", e2.Message);
        File.WriteAllText(dir.File("tokenizer.json"), """{"model": {"type": "BPE", "vocab": {}, "merges": []}, "pre_tokenizer": {"type": "Metaspace"}}""");
        var e3 = Assert.Throws<TokenizerException>(() => TokenizerLoader.Load(dir.Path));
        Assert.Contains("SentencePiece-style", e3.Message);
    }

    [Theory]
    [InlineData("sdtp_tokenizer.json", """{"type": 5}""", "field 'type' must be a string, found 5")]
    [InlineData("sdtp_tokenizer.json", """{"type": "byte", "eos_id": 7}""", "field 'eos_id' is 7; the byte tokenizer's is 2")]
    [InlineData("sdtp_tokenizer.json", """{"type": "byte", "byte_offset": "3"}""", "field 'byte_offset' is \"3\"; the byte tokenizer's is 3")]
    [InlineData("tokenizer.json", """{"model": {"type": ["BPE"]}}""", "field 'model.type' must be a string, found [\"BPE\"]")]
    [InlineData("tokenizer.json", """{"model": {"type": "BPE", "vocab": {}, "merges": [[1, 2]]}, "decoder": {"type": "ByteLevel"}}""",
        "field 'model.merges[0][0]' must be a string, found 1")]
    [InlineData("tokenizer.json", """{"model": {"type": "BPE", "vocab": {}, "merges": []}, "decoder": {"type": "ByteLevel"}, "added_tokens": [{"id": "x", "content": "<s>"}]}""",
        "added_tokens[0].id must be a non-negative integer, found \"x\"")]
    [InlineData("tokenizer.json", """{"model": {"type": "BPE", "vocab": {}, "merges": []}, "decoder": {"type": "ByteLevel"}, "pre_tokenizer": {"type": 3}}""",
        "field 'pre_tokenizer.type' must be a string, found 3")]
    public void Tokenizer_fields_of_the_wrong_type_name_the_file_and_field(string file, string json, string expected)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File(file), json);
        var e = Assert.Throws<TokenizerException>(() => TokenizerLoader.Load(dir.Path));
        Assert.Contains(dir.File(file), e.Message);
        Assert.Contains(expected, e.Message);
    }

    private static string ByteLevelTokenizerJson(bool pairMerges)
    {
        var alphabet = ByteLevelAlphabet();
        var vocab = new Dictionary<string, int>();
        for (int b = 0; b < 256; b++) vocab[alphabet[b].ToString()] = b;
        string[][] merges = [["h", "e"], ["l", "l"], ["he", "ll"], ["hell", "o"], ["Ġ", "w"], ["o", "r"], ["Ġw", "or"]];
        foreach (var m in merges) vocab[m[0] + m[1]] = vocab.Count;
        var mergesJson = pairMerges
            ? string.Join(", ", merges.Select(m => $"[\"{m[0]}\", \"{m[1]}\"]"))
            : string.Join(", ", merges.Select(m => $"\"{m[0]} {m[1]}\""));
        var vocabJson = string.Join(", ", vocab.Select(kv => $"{System.Text.Json.JsonSerializer.Serialize(kv.Key)}: {kv.Value}"));
        return $$"""
            {
              "added_tokens": [{"id": 263, "content": "<|endoftext|>", "special": true}],
              "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated"},
                {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]},
              "decoder": {"type": "ByteLevel"},
              "model": {"type": "BPE", "vocab": {{{vocabJson}}}, "merges": [{{mergesJson}}]}
            }
            """;
    }

    /// <summary>GPT-2's byte-to-character table: printable bytes map to themselves, the rest to 256 + n.</summary>
    private static char[] ByteLevelAlphabet()
    {
        var table = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)(256 + next++);
        }
        return table;
    }
}
