using Microsoft.Extensions.AI;
using Sdtp.Serving.Templates;

namespace Sdtp.Serving.Tests;

public class ChatTemplateTests
{
    private static readonly ChatMessage[] Conversation =
    [
        new(ChatRole.System, "Be brief."), new(ChatRole.User, "Hi"), new(ChatRole.Assistant, "Hello!"), new(ChatRole.User, "Name a colour."),
    ];

    [Fact]
    public void Llama3_writes_header_delimited_turns()
    {
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nName a colour.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            new Llama3ChatTemplate().Render(Conversation));
    }

    [Fact]
    public void ChatMl_writes_im_start_turns()
    {
        Assert.Equal(
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n" +
            "<|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\n",
            new ChatMlTemplate().Render(Conversation));
    }

    [Fact]
    public void Mistral_puts_the_system_message_in_the_first_instruction()
    {
        Assert.Equal("<s>[INST] Be brief.\n\nHi [/INST] Hello!</s>[INST] Name a colour. [/INST]", new MistralChatTemplate().Render(Conversation));
    }

    [Fact]
    public void Plain_writes_role_prefixed_lines()
    {
        Assert.Equal("System: Be brief.\nUser: Hi\nAssistant: Hello!\nUser: Name a colour.\nAssistant:", new PlainChatTemplate().Render(Conversation));
    }

    [Theory]
    [InlineData("{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>{% endfor %}", "llama3")]
    [InlineData("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>{% endfor %}", "chatml")]
    [InlineData("{{ bos_token }}{% for m in messages %}[INST] {{ m.content }} [/INST]{% endfor %}", "mistral")]
    public void The_template_is_recognised_from_tokenizer_config(string jinja, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("sdtp-template-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), System.Text.Json.JsonSerializer.Serialize(new { chat_template = jinja }));
            Assert.Equal(expected, ChatTemplates.Detect(dir).Name);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void An_unknown_template_is_an_error_unless_one_is_named()
    {
        var dir = Directory.CreateTempSubdirectory("sdtp-template-").FullName;
        try
        {
            var e = Assert.Throws<ArgumentException>(() => ChatTemplates.Detect(dir));
            Assert.Contains("no chat_template in tokenizer_config.json; name a template (llama3, chatml, mistral, plain)", e.Message);
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"chat_template": "{{ messages }}"}""");
            Assert.Contains("is not one of the built-in families", Assert.Throws<ArgumentException>(() => ChatTemplates.Detect(dir)).Message);
            Sdtp.Tokenization.TokenizerLoader.WriteByteTokenizerMarker(dir);
            File.Delete(Path.Combine(dir, "tokenizer_config.json"));
            Assert.Equal("plain", ChatTemplates.Detect(dir).Name); // the byte-level default model
            Assert.Equal("chatml", ChatTemplates.Named("ChatML").Name);
            Assert.Contains("unknown chat template 'vicuna'", Assert.Throws<ArgumentException>(() => ChatTemplates.Named("vicuna")).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
