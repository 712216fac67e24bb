using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sdtp.Serving.Templates;

/// <summary>The built-in templates, and which one a checkpoint uses.</summary>
public static class ChatTemplates
{
    /// <summary>Every built-in template by name.</summary>
    public static IReadOnlyDictionary<string, ChatTemplate> All { get; } = new ChatTemplate[]
    {
        new Llama3ChatTemplate(), new ChatMlTemplate(), new MistralChatTemplate(), new PlainChatTemplate(),
    }.ToDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The template named <paramref name="name"/>, or an error listing the names.</summary>
    public static ChatTemplate Named(string name) => All.TryGetValue(name, out var template) ? template
        : throw new ArgumentException($"unknown chat template '{name}'; known: {string.Join(", ", All.Keys)}", nameof(name));

    /// <summary>
    /// The template of the checkpoint in <paramref name="directory"/>: recognised from the Jinja <c>chat_template</c> of
    /// its <c>tokenizer_config.json</c> by the markers each family's template writes; the plain template for a
    /// checkpoint with the byte tokenizer (the default model) and no chat template. Anything else is an error that says
    /// to name a template, rather than a guess.
    /// </summary>
    public static ChatTemplate Detect(string directory)
    {
        var configPath = Path.Combine(directory, "tokenizer_config.json");
        string? jinja = null;
        if (File.Exists(configPath))
        {
            try
            {
                jinja = JsonNode.Parse(File.ReadAllText(configPath))?["chat_template"] switch
                {
                    JsonValue v when v.TryGetValue<string>(out var text) => text,
                    JsonArray list => string.Join("\n", list.Select(t => t?["template"]?.ToString())), // named templates: the markers are what matter
                    _ => null,
                };
            }
            catch (JsonException e)
            {
                throw new ArgumentException($"{configPath}: malformed JSON: {e.Message}");
            }
        }
        if (jinja is not null)
        {
            if (jinja.Contains("<|start_header_id|>", StringComparison.Ordinal)) return All["llama3"];
            if (jinja.Contains("<|im_start|>", StringComparison.Ordinal)) return All["chatml"];
            if (jinja.Contains("[INST]", StringComparison.Ordinal)) return All["mistral"];
            throw new ArgumentException($"{configPath}: the chat_template is not one of the built-in families ({string.Join(", ", All.Keys)}); name one");
        }
        if (File.Exists(Path.Combine(directory, Tokenization.TokenizerLoader.ByteTokenizerFile))) return All["plain"];
        throw new ArgumentException($"{directory}: no chat_template in tokenizer_config.json; name a template ({string.Join(", ", All.Keys)})");
    }
}
