using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;
using Sdtp.Modeling;

namespace Sdtp.Tokenization;

/// <summary>
/// Finds and builds the tokenizer of a checkpoint directory:
/// <list type="bullet">
/// <item><c>sdtp_tokenizer.json</c> of type <c>byte</c>: the project's own byte-level models.</item>
/// <item><c>tokenizer.model</c> in tiktoken text format (Llama 3's original release).</item>
/// <item><c>tokenizer.model</c> as a SentencePiece protobuf (Llama 2, Mistral).</item>
/// <item><c>tokenizer.json</c> with a byte-level BPE model (Qwen2, Llama 3 in HF format).</item>
/// </list>
/// </summary>
public static class TokenizerLoader
{
    /// <summary>The marker file of byte-level models.</summary>
    public const string ByteTokenizerFile = "sdtp_tokenizer.json";

    // Llama 3's pre-tokenizer split, used with its tiktoken vocabulary (tokenizer.model carries no pattern).
    private const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>The tokenizer of <paramref name="directory"/>; BOS/EOS ids come from its <c>config.json</c> when present.</summary>
    /// <exception cref="TokenizerException">No supported tokenizer file, or one that is malformed.</exception>
    public static ITextTokenizer Load(string directory)
    {
        if (File.Exists(Path.Combine(directory, ByteTokenizerFile)))
            return LoadByteTokenizer(Path.Combine(directory, ByteTokenizerFile));

        var configPath = Path.Combine(directory, Checkpoints.HuggingFaceCheckpoint.ConfigFile);
        var config = File.Exists(configPath) ? ModelConfig.Load(configPath) : null;
        int? bos = config?.BosTokenId;
        int? eos = config?.EosTokenIds.Count > 0 ? config.EosTokenIds[0] : null;

        var model = Path.Combine(directory, "tokenizer.model");
        var json = Path.Combine(directory, "tokenizer.json");
        if (File.Exists(model))
            return IsTiktoken(model) ? LoadTiktoken(model, directory, bos, eos) : LoadSentencePiece(model, bos, eos);
        if (File.Exists(json))
            return LoadTokenizerJson(json, bos, eos);
        throw new TokenizerException(
            $"{directory}: no tokenizer found; expected {ByteTokenizerFile}, tokenizer.model (SentencePiece or tiktoken) or tokenizer.json (byte-level BPE)");
    }

    /// <summary>Writes the marker that makes <see cref="Load"/> pick <see cref="ByteTokenizer"/>.</summary>
    public static void WriteByteTokenizerMarker(string directory) =>
        Checkpoints.AtomicFile.WriteText(Path.Combine(directory, ByteTokenizerFile),
            """{ "type": "byte", "pad_id": 0, "bos_id": 1, "eos_id": 2, "byte_offset": 3 }""" + "\n");

    private static ITextTokenizer LoadByteTokenizer(string path)
    {
        var root = ParseJson(path);
        var type = Text(root["type"], path, "type");
        if (type != "byte")
            throw new TokenizerException($"{path}: field 'type' is {(type is null ? "missing" : $"'{type}'")}, only 'byte' is supported");
        var tokenizer = new ByteTokenizer();
        // The byte tokenizer's ids are fixed; a file that says otherwise describes another tokenizer.
        foreach (var (field, id) in new[] { ("pad_id", ByteTokenizer.PadId), ("bos_id", tokenizer.BosId!.Value), ("eos_id", tokenizer.EosId!.Value), ("byte_offset", ByteTokenizer.ByteOffset) })
            if (root[field] is { } node && !(node is JsonValue v && v.TryGetValue<int>(out var found) && found == id))
                throw new TokenizerException($"{path}: field '{field}' is {node.ToJsonString()}; the byte tokenizer's is {id}");
        return tokenizer;
    }

    private static bool IsTiktoken(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
        var first = reader.ReadLine();
        return first is not null && Regex.IsMatch(first, @"^[A-Za-z0-9+/]+=*\s+\d+$");
    }

    private static ITextTokenizer LoadSentencePiece(string path, int? bos, int? eos)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var tokenizer = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
            return new MlTokenizerAdapter(tokenizer, bos ?? tokenizer.BeginningOfSentenceId, eos ?? tokenizer.EndOfSentenceId);
        }
        catch (Exception e) when (e is not TokenizerException)
        {
            throw new TokenizerException($"{path}: not a readable SentencePiece BPE model: {e.Message}");
        }
    }

    private static ITextTokenizer LoadTiktoken(string path, string directory, int? bos, int? eos)
    {
        int ranks = File.ReadLines(path).Count(l => l.Length > 0);
        var special = ReadAddedTokens(Path.Combine(directory, "tokenizer_config.json"));
        if (special.Count == 0)
        {
            // Without tokenizer_config.json only the two ids every Llama 3 release shares are known.
            special["<|begin_of_text|>"] = ranks;
            special["<|end_of_text|>"] = ranks + 1;
        }
        try
        {
            using var stream = File.OpenRead(path);
            var pre = new RegexPreTokenizer(new Regex(Llama3Pattern, RegexOptions.Compiled), special);
            var tokenizer = TiktokenTokenizer.Create(stream, pre, null, special);
            bos ??= special.TryGetValue("<|begin_of_text|>", out var b) ? b : null;
            eos ??= special.TryGetValue("<|end_of_text|>", out var e) ? e : null;
            return new MlTokenizerAdapter(tokenizer, bos, eos, special.Values.ToHashSet());
        }
        catch (Exception e) when (e is not TokenizerException)
        {
            throw new TokenizerException($"{path}: not a readable tiktoken vocabulary: {e.Message}");
        }
    }

    private static ITextTokenizer LoadTokenizerJson(string path, int? bos, int? eos)
    {
        var root = ParseJson(path);
        if (root["model"] is not JsonObject model)
            throw new TokenizerException($"{path}: field 'model' is missing");
        var type = Text(model["type"], path, "model.type");
        if (type != "BPE")
            throw new TokenizerException($"{path}: field 'model.type' is '{type}'; only BPE is supported");
        if (!UsesByteLevel(root))
            throw new TokenizerException(
                $"{path}: BPE without a ByteLevel pre-tokenizer (SentencePiece-style); load it from tokenizer.model instead");
        if (model["vocab"] is not JsonObject vocabNode)
            throw new TokenizerException($"{path}: field 'model.vocab' is missing or not an object");

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, id) in vocabNode)
            vocab[token] = id is JsonValue v && v.TryGetValue<int>(out var n) ? n
                : throw new TokenizerException($"{path}: model.vocab['{token}'] is not an integer id");
        var merges = ReadMerges(path, model["merges"]);

        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root["added_tokens"] is JsonArray added)
            for (int i = 0; i < added.Count; i++)
            {
                if (added[i] is not JsonObject item || Text(item["content"], path, $"added_tokens[{i}].content") is not { } content)
                    throw new TokenizerException($"{path}: added_tokens[{i}] must be an object with 'content' and 'id', found {added[i]?.ToJsonString() ?? "null"}");
                special[content] = item["id"] is JsonValue idValue && idValue.TryGetValue<int>(out var id) && id >= 0 ? id
                    : throw new TokenizerException($"{path}: added_tokens[{i}].id must be a non-negative integer, found {item["id"]?.ToJsonString() ?? "nothing"}");
            }

        var pattern = FindSplitPattern(root, path) ?? Llama3Pattern;
        var options = new BpeOptions(vocab)
        {
            Merges = merges,
            ByteLevel = true,
            SpecialTokens = special,
            PreTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled), special),
        };
        try
        {
            var tokenizer = BpeTokenizer.Create(options);
            return new MlTokenizerAdapter(tokenizer, bos, eos, special.Values.ToHashSet());
        }
        catch (Exception e)
        {
            throw new TokenizerException($"{path}: could not build the BPE tokenizer: {e.Message}");
        }
    }

    private static List<string> ReadMerges(string path, JsonNode? node)
    {
        if (node is not JsonArray array)
            throw new TokenizerException($"{path}: field 'model.merges' is missing or not an array");
        var merges = new List<string>(array.Count);
        for (int i = 0; i < array.Count; i++)
        {
            // Older files write "a b"; newer ones ["a", "b"].
            merges.Add(array[i] switch
            {
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                JsonArray pair when pair.Count == 2 && Text(pair[0], path, $"model.merges[{i}][0]") is { } a && Text(pair[1], path, $"model.merges[{i}][1]") is { } b => $"{a} {b}",
                var other => throw new TokenizerException($"{path}: model.merges[{i}] is {other?.ToJsonString() ?? "null"}, expected \"a b\" or [\"a\", \"b\"]"),
            });
        }
        return merges;
    }

    private static bool UsesByteLevel(JsonObject root) =>
        Describe(root["pre_tokenizer"]).Contains("ByteLevel") || Describe(root["decoder"]).Contains("ByteLevel");

    private static string Describe(JsonNode? node) => node?.ToJsonString() ?? "";

    /// <summary>The regex of a Split pre-tokenizer (Qwen2 and Llama 3 put theirs in a Sequence before ByteLevel).</summary>
    private static string? FindSplitPattern(JsonObject root, string path)
    {
        IEnumerable<JsonObject> Walk(JsonNode? n) => n switch
        {
            JsonObject o => new[] { o }.Concat((o["pretokenizers"] as JsonArray ?? []).SelectMany(Walk)),
            _ => [],
        };
        return Walk(root["pre_tokenizer"])
            .Where(o => Text(o["type"], path, "pre_tokenizer.type") == "Split")
            .Select(o => Text((o["pattern"] as JsonObject)?["Regex"], path, "pre_tokenizer.pattern.Regex"))
            .FirstOrDefault(p => p is not null);
    }

    private static Dictionary<string, int> ReadAddedTokens(string tokenizerConfigPath)
    {
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!File.Exists(tokenizerConfigPath)) return special;
        if (ParseJson(tokenizerConfigPath)["added_tokens_decoder"] is JsonObject decoder)
            foreach (var (id, node) in decoder)
                if (int.TryParse(id, out var n) && Text((node as JsonObject)?["content"], tokenizerConfigPath, $"added_tokens_decoder.{id}.content") is string content)
                    special[content] = n;
        return special;
    }

    /// <summary>A string field, null when absent; anything else is an error naming the file and field.</summary>
    private static string? Text(JsonNode? node, string path, string field) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw new TokenizerException($"{path}: field '{field}' must be a string, found {node.ToJsonString()}"),
    };

    private static JsonObject ParseJson(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new TokenizerException($"{path}: the top level is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new TokenizerException($"{path}: malformed JSON: {e.Message}");
        }
    }
}

/// <summary>A tokenizer file problem, naming the file and field.</summary>
public sealed class TokenizerException(string message) : Exception(message);
