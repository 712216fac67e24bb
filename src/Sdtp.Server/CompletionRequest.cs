using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Sdtp.Serving;

namespace Sdtp.Server;

/// <summary>
/// An OpenAI chat or text completion request, read from its JSON body: every field this server honours is checked,
/// and a wrong one is a 400 naming it. The SDTP choice is an extension field, <c>"sdtp": {"enabled": false}</c>
/// (or <c>"sdtp": false</c>).
/// </summary>
internal sealed record CompletionRequest(List<ChatMessage>? Messages, string? Prompt, ChatOptions Options, bool Stream, bool IncludeUsage)
{
    public static CompletionRequest Parse(JsonNode? node, bool chat, string servedModel)
    {
        if (node is not JsonObject body) throw OpenAiError.BadRequest("body", "the request body must be a JSON object");
        var model = String(body, "model") ?? throw OpenAiError.BadRequest("model", "'model' is required");
        if (model != servedModel)
            throw new OpenAiError(400, $"model '{model}' is not served here (this server serves '{servedModel}')", "model", code: "model_not_found");
        if (body["n"] is JsonNode n && Int(n, "n") != 1) throw OpenAiError.BadRequest("n", "only n = 1 is supported");

        var options = new ChatOptions { AdditionalProperties = [] };
        if ((body["max_completion_tokens"] ?? body["max_tokens"]) is JsonNode max)
        {
            var name = body["max_completion_tokens"] is null ? "max_tokens" : "max_completion_tokens";
            options.MaxOutputTokens = Int(max, name) is var m && m >= 1 ? m : throw OpenAiError.BadRequest(name, $"'{name}' must be at least 1 (got {m})");
        }
        if (body["temperature"] is JsonNode t)
            options.Temperature = Number(t, "temperature") is var v && v is >= 0 and <= 2 ? (float)v : throw OpenAiError.BadRequest("temperature", $"'temperature' must be in [0, 2] (got {v})");
        if (body["top_p"] is JsonNode p)
            options.TopP = Number(p, "top_p") is var v && v is > 0 and <= 1 ? (float)v : throw OpenAiError.BadRequest("top_p", $"'top_p' must be in (0, 1] (got {v})");
        if (body["seed"] is JsonNode seed) options.Seed = Int(seed, "seed");
        if (body["stop"] is JsonNode stop) options.StopSequences = Stops(stop);
        if (body["sdtp"] is JsonNode sdtp)
        {
            options.AdditionalProperties[SdtpChatClient.SdtpOption] = SdtpEnabled(sdtp);
            if (sdtp is JsonObject detail && detail["keep_ratio"] is JsonNode ratio)
                options.AdditionalProperties[SdtpChatClient.KeepRatioOption] = Number(ratio, "sdtp.keep_ratio") is var r && r > 0 && r <= 1 ? r
                    : throw OpenAiError.BadRequest("sdtp.keep_ratio", $"'sdtp.keep_ratio' must be in (0, 1] (got {r})");
        }

        bool stream = body["stream"] is JsonNode s && Bool(s, "stream");
        bool includeUsage = body["stream_options"]?["include_usage"] is JsonNode u && Bool(u, "stream_options.include_usage");
        return chat
            ? new CompletionRequest(ReadMessages(body["messages"]), null, options, stream, includeUsage)
            : new CompletionRequest(null, String(body, "prompt") ?? throw OpenAiError.BadRequest("prompt", "'prompt' is required (a string)"), options, stream, includeUsage);
    }

    private static List<ChatMessage> ReadMessages(JsonNode? node)
    {
        if (node is not JsonArray array || array.Count == 0) throw OpenAiError.BadRequest("messages", "'messages' must be a non-empty array");
        var messages = new List<ChatMessage>();
        for (int i = 0; i < array.Count; i++)
        {
            var item = array[i] as JsonObject ?? throw OpenAiError.BadRequest($"messages[{i}]", $"messages[{i}] must be an object");
            var role = String(item, "role", $"messages[{i}].role") switch
            {
                "system" or "developer" => ChatRole.System,
                "user" => ChatRole.User,
                "assistant" => ChatRole.Assistant,
                var other => throw OpenAiError.BadRequest($"messages[{i}].role", $"messages[{i}].role '{other}' is not supported (system, user, assistant)"),
            };
            messages.Add(new ChatMessage(role, Content(item["content"], i)));
        }
        return messages;
    }

    // A string, or OpenAI's array of {"type": "text", "text": ...} parts.
    private static string Content(JsonNode? node, int index) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var text) => text,
        JsonArray parts => string.Concat(parts.Select((part, j) => part?["type"]?.GetValue<string>() == "text" && part["text"] is JsonValue tv && tv.TryGetValue<string>(out var t)
            ? t : throw OpenAiError.BadRequest($"messages[{index}].content[{j}]", $"messages[{index}].content[{j}] must be a text part"))),
        _ => throw OpenAiError.BadRequest($"messages[{index}].content", $"messages[{index}].content must be a string"),
    };

    private static List<string> Stops(JsonNode node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var one) => [one],
        JsonArray list when list.Count <= 4 => list.Select((s, i) => s is JsonValue sv && sv.TryGetValue<string>(out var text) ? text
            : throw OpenAiError.BadRequest($"stop[{i}]", $"stop[{i}] must be a string")).ToList(),
        _ => throw OpenAiError.BadRequest("stop", "'stop' must be a string or an array of at most 4 strings"),
    };

    // true, false, or an object: {"enabled": false} and/or {"keep_ratio": 0.8} (enabled when absent).
    private static bool SdtpEnabled(JsonNode node) => node switch
    {
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonObject o when o["enabled"] is null => true,
        JsonObject o when o["enabled"] is JsonValue e && e.TryGetValue<bool>(out var b) => b,
        _ => throw OpenAiError.BadRequest("sdtp", "'sdtp' must be true, false or {\"enabled\": true|false, \"keep_ratio\": R}"),
    };

    private static string? String(JsonObject body, string field, string? name = null) => body[field] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw OpenAiError.BadRequest(name ?? field, $"'{name ?? field}' must be a string"),
    };

    private static int Int(JsonNode node, string name) =>
        node is JsonValue v && v.TryGetValue<long>(out var l) && l is >= int.MinValue and <= int.MaxValue ? (int)l
            : node is JsonValue d && d.TryGetValue<double>(out var x) && x == Math.Floor(x) && Math.Abs(x) <= int.MaxValue ? (int)x
            : throw OpenAiError.BadRequest(name, $"'{name}' must be an integer (got {node.ToJsonString()})");

    private static double Number(JsonNode node, string name) =>
        node is JsonValue v && v.TryGetValue<double>(out var x) ? x : throw OpenAiError.BadRequest(name, $"'{name}' must be a number (got {node.ToJsonString()})");

    private static bool Bool(JsonNode node, string name) =>
        node is JsonValue v && v.TryGetValue<bool>(out var b) ? b : throw OpenAiError.BadRequest(name, $"'{name}' must be true or false");

    /// <summary>The body as JSON, or a 400 that says where it stopped parsing.</summary>
    public static JsonNode? ReadJson(byte[] body)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            throw OpenAiError.BadRequest("body", $"malformed JSON: {e.Message}");
        }
    }
}
