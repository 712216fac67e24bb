using Microsoft.Extensions.AI;

namespace Sdtp.Serving.Templates;

/// <summary>
/// How a model family writes a conversation as one prompt: each message in its role's markers, then the opening of
/// the assistant's turn. <see cref="StopStrings"/> end a generated turn even when the model does not emit EOS.
/// </summary>
public abstract class ChatTemplate
{
    /// <summary>The name users pass to pick this template (<c>llama3</c>, <c>chatml</c>, <c>mistral</c>, <c>plain</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Text that ends the assistant's turn.</summary>
    public abstract IReadOnlyList<string> StopStrings { get; }

    /// <summary>Whether the prompt text already starts with the tokenizer's BOS, so encoding must not add another.</summary>
    public virtual bool WritesBos => false;

    /// <summary><paramref name="messages"/> as one prompt, ending where the assistant's reply begins.</summary>
    public abstract string Render(IReadOnlyList<ChatMessage> messages);

    /// <summary>The role of <paramref name="message"/> as the templates spell it.</summary>
    protected static string RoleOf(ChatMessage message)
    {
        var role = message.Role;
        if (role == ChatRole.System) return "system";
        if (role == ChatRole.User) return "user";
        if (role == ChatRole.Assistant) return "assistant";
        throw new ArgumentException($"message role '{role.Value}' is not supported by the chat templates (system, user, assistant)", nameof(message));
    }
}

/// <summary>Llama 3's header-delimited turns (<c>&lt;|start_header_id|&gt;user&lt;|end_header_id|&gt;</c> ... <c>&lt;|eot_id|&gt;</c>).</summary>
public sealed class Llama3ChatTemplate : ChatTemplate
{
    /// <inheritdoc/>
    public override string Name => "llama3";

    /// <inheritdoc/>
    public override IReadOnlyList<string> StopStrings { get; } = ["<|eot_id|>"];

    /// <inheritdoc/>
    public override bool WritesBos => true;

    /// <inheritdoc/>
    public override string Render(IReadOnlyList<ChatMessage> messages) =>
        "<|begin_of_text|>" + string.Concat(messages.Select(m => $"<|start_header_id|>{RoleOf(m)}<|end_header_id|>\n\n{m.Text.Trim()}<|eot_id|>"))
        + "<|start_header_id|>assistant<|end_header_id|>\n\n";
}

/// <summary>ChatML, as Qwen2 uses it (<c>&lt;|im_start|&gt;user\n...&lt;|im_end|&gt;\n</c>).</summary>
public sealed class ChatMlTemplate : ChatTemplate
{
    /// <inheritdoc/>
    public override string Name => "chatml";

    /// <inheritdoc/>
    public override IReadOnlyList<string> StopStrings { get; } = ["<|im_end|>"];

    /// <inheritdoc/>
    public override string Render(IReadOnlyList<ChatMessage> messages) =>
        string.Concat(messages.Select(m => $"<|im_start|>{RoleOf(m)}\n{m.Text}<|im_end|>\n")) + "<|im_start|>assistant\n";
}

/// <summary>
/// Mistral's instruction format: <c>&lt;s&gt;[INST] user [/INST] assistant&lt;/s&gt;[INST] ...</c>; a system message is
/// prepended to the first user message, as Mistral's own template does.
/// </summary>
public sealed class MistralChatTemplate : ChatTemplate
{
    /// <inheritdoc/>
    public override string Name => "mistral";

    /// <inheritdoc/>
    public override IReadOnlyList<string> StopStrings { get; } = ["</s>"];

    /// <inheritdoc/>
    public override bool WritesBos => true;

    /// <inheritdoc/>
    public override string Render(IReadOnlyList<ChatMessage> messages)
    {
        var system = string.Join("\n\n", messages.Where(m => RoleOf(m) == "system").Select(m => m.Text.Trim()));
        var text = new System.Text.StringBuilder("<s>");
        bool first = true;
        foreach (var message in messages.Where(m => RoleOf(m) != "system"))
        {
            if (RoleOf(message) == "user")
            {
                var content = first && system.Length > 0 ? system + "\n\n" + message.Text.Trim() : message.Text.Trim();
                text.Append("[INST] ").Append(content).Append(" [/INST]");
                first = false;
            }
            else text.Append(' ').Append(message.Text.Trim()).Append("</s>");
        }
        return text.ToString();
    }
}

/// <summary>
/// The default model's plain format, for a checkpoint without a chat template: <c>System: ...\nUser: ...\nAssistant:</c>.
/// A turn ends at EOS or where the model starts the next <c>\nUser:</c>.
/// </summary>
public sealed class PlainChatTemplate : ChatTemplate
{
    /// <inheritdoc/>
    public override string Name => "plain";

    /// <inheritdoc/>
    public override IReadOnlyList<string> StopStrings { get; } = ["\nUser:"];

    /// <inheritdoc/>
    public override string Render(IReadOnlyList<ChatMessage> messages) =>
        string.Concat(messages.Select(m => $"{Capitalised(RoleOf(m))}: {m.Text.Trim()}\n")) + "Assistant:";

    private static string Capitalised(string role) => char.ToUpperInvariant(role[0]) + role[1..];
}
