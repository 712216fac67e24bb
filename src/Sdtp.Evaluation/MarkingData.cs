using System.Text.Json;
using Sdtp.Tokenization;

namespace Sdtp.Evaluation;

/// <summary>
/// One line of a user's marking data: a prompt and the answer whose log-likelihood saliency explains (the paper's
/// setting with instruction data), or a plain text whose last part is the target.
/// </summary>
/// <param name="Line">1-based line number in the file, for messages.</param>
/// <param name="Prompt">The prompt (with <see cref="Answer"/>), or null for a text line.</param>
/// <param name="Answer">The answer the prompt should produce.</param>
/// <param name="Text">The text (a text line), or null.</param>
public sealed record MarkingRecord(int Line, string? Prompt, string? Answer, string? Text);

/// <summary>
/// Reads <c>mark --data FILE.jsonl</c>: each non-blank line a JSON object with string fields <c>prompt</c> and
/// <c>answer</c>, or <c>text</c>. Other fields are ignored (ids, sources). Every line is checked before anything is
/// marked, and a bad one is an error naming the file, the line and the field.
/// </summary>
public static class MarkingData
{
    /// <summary>The share of a text line's tokens, at its end, whose next-token loss is the marking target.</summary>
    public const double TextTargetFraction = 0.25;

    /// <summary>The records of <paramref name="path"/>, in file order.</summary>
    public static IReadOnlyList<MarkingRecord> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: marking data file not found", path);
        var records = new List<MarkingRecord>();
        foreach (var (number, line) in Utf8Lines.Read(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            records.Add(Parse(line, number, path));
        }
        if (records.Count == 0) throw new InvalidDataException($"{path}: no lines to mark (expected JSON lines with \"prompt\" and \"answer\", or \"text\")");
        return records;
    }

    private static MarkingRecord Parse(string line, int number, string path)
    {
        string Where(string? field = null) => field is null ? $"{path}: line {number}" : $"{path}: line {number}: field '{field}'";
        JsonElement root;
        try { root = JsonDocument.Parse(line).RootElement.Clone(); }
        catch (JsonException e) { throw new InvalidDataException($"{Where()}: not valid JSON ({e.Message.Split('.')[0]})"); }
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{Where()}: expected a JSON object, got {root.ValueKind.ToString().ToLowerInvariant()}");
        string? Field(string name)
        {
            if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
            if (value.ValueKind != JsonValueKind.String) throw new InvalidDataException($"{Where(name)}: expected a string, got {value.ValueKind.ToString().ToLowerInvariant()}");
            var text = value.GetString()!;
            if (text.Length == 0) throw new InvalidDataException($"{Where(name)}: is empty");
            return text;
        }
        var (prompt, answer, text) = (Field("prompt"), Field("answer"), Field("text"));
        if (text is not null && (prompt is not null || answer is not null))
            throw new InvalidDataException($"{Where()}: has both 'text' and 'prompt'/'answer'; give one form per line");
        if (text is null && prompt is null && answer is null)
            throw new InvalidDataException($"{Where()}: needs \"prompt\" and \"answer\", or \"text\" (found: {string.Join(", ", root.EnumerateObject().Select(p => p.Name).DefaultIfEmpty("no fields"))})");
        if (text is null && prompt is null) throw new InvalidDataException($"{Where("prompt")}: missing (the line has an answer)");
        if (text is null && answer is null) throw new InvalidDataException($"{Where("answer")}: missing (the line has a prompt)");
        return new MarkingRecord(number, prompt, answer, text);
    }

    /// <summary>
    /// The token ids of a record and which of them are targets: the answer's, or the last
    /// <see cref="TextTargetFraction"/> of a text's (at least one). A record longer than <paramref name="maxTokens"/>
    /// is an error naming its line.
    /// </summary>
    public static (long[] Ids, bool[] Targets) Encode(MarkingRecord record, ITextTokenizer tokenizer, int maxTokens, string path)
    {
        List<int> ids;
        int firstTarget;
        if (record.Text is { } text)
        {
            ids = [.. tokenizer.Encode(text, addBos: true)];
            int content = ids.Count - (tokenizer.BosId is null ? 0 : 1);
            if (content < 2) throw new InvalidDataException($"{path}: line {record.Line}: field 'text': {content} token(s); a text needs at least 2 (a context and a target)");
            firstTarget = ids.Count - Math.Max(1, (int)Math.Ceiling(TextTargetFraction * content));
        }
        else
        {
            ids = [.. tokenizer.Encode(record.Prompt!, addBos: true)];
            firstTarget = ids.Count;
            ids.AddRange(tokenizer.Encode(record.Answer!));
            if (ids.Count == firstTarget) throw new InvalidDataException($"{path}: line {record.Line}: field 'answer': encodes to no tokens");
        }
        if (ids.Count > maxTokens)
            throw new InvalidDataException($"{path}: line {record.Line}: {ids.Count} tokens, more than the model's max_position_embeddings ({maxTokens}); shorten it or drop the line");
        return (ids.Select(i => (long)i).ToArray(), ids.Select((_, i) => i >= firstTarget).ToArray());
    }
}
