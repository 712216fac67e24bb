using Microsoft.Extensions.AI;
using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Serving.Templates;
using Sdtp.Tokenization;
using static TorchSharp.torch;

namespace Sdtp.Serving.Tests;

/// <summary>The chat client on a tiny random byte-level model (random heads stand for trained ones: the tests check plumbing, not answers).</summary>
public sealed class SdtpChatClientTests : IDisposable
{
    private static readonly PruningSchedule Schedule = TinyServedModel.Schedule;
    private readonly TinyServedModel tiny = new();
    private readonly SdtpChatClient client;

    public SdtpChatClientTests() => client = new SdtpChatClient(tiny.Served);

    public void Dispose()
    {
        client.Dispose();
        tiny.Dispose();
    }

    private static List<ChatMessage> Ask(string text) => [new(ChatRole.System, "You answer."), new(ChatRole.User, text + new string('.', 200))];

    [Fact]
    public async Task A_reply_reports_prompt_completion_and_kept_tokens_and_honours_max_output_tokens()
    {
        var response = await client.GetResponseAsync(Ask("What is the code?"), new ChatOptions { MaxOutputTokens = 5 });
        Assert.Equal("tiny", response.ModelId);
        Assert.InRange(response.Usage!.OutputTokenCount!.Value, 1, 5);
        Assert.Equal(response.Usage.InputTokenCount + response.Usage.OutputTokenCount, response.Usage.TotalTokenCount);
        var kept = Enumerable.Range(0, 4).Select(l => response.Usage.AdditionalCounts![$"sdtp_kept_layer_{l}"]).ToArray();
        Assert.Equal(Schedule.TokensPerLayer((int)response.Usage.InputTokenCount!.Value, 4).Select(n => (long)n), kept);
        Assert.True(kept[^1] < kept[0]);
        Assert.True(response.Usage.AdditionalCounts!.ContainsKey("prefill_ms"));
        if (response.Usage.OutputTokenCount == 5) Assert.Equal(ChatFinishReason.Length, response.FinishReason);
    }

    [Fact]
    public async Task Sdtp_can_be_turned_off_per_request()
    {
        var options = new ChatOptions { MaxOutputTokens = 3, AdditionalProperties = new() { [SdtpChatClient.SdtpOption] = false } };
        var response = await client.GetResponseAsync(Ask("Hi"), options);
        Assert.DoesNotContain(response.Usage!.AdditionalCounts!.Keys, k => k.StartsWith("sdtp_kept", StringComparison.Ordinal));
        options.AdditionalProperties[SdtpChatClient.SdtpOption] = "maybe";
        Assert.Contains("'sdtp' must be true or false", (await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(Ask("Hi"), options))).Message);
    }

    [Fact]
    public async Task A_request_may_ask_for_another_keep_ratio()
    {
        var options = new ChatOptions { MaxOutputTokens = 2, AdditionalProperties = new() { [SdtpChatClient.KeepRatioOption] = 0.5 } };
        var response = await client.GetResponseAsync(Ask("Hi"), options);
        int prompt = (int)response.Usage!.InputTokenCount!.Value;
        var scaled = new PruningSchedule(Schedule.Stages.Select(s => s with { KeepRatio = 0.5 }).ToList(), Schedule.AlwaysKeep);
        Assert.Equal(scaled.TokensPerLayer(prompt, 4)[^1], response.Usage.AdditionalCounts!["sdtp_kept_layer_3"]);
        options.AdditionalProperties[SdtpChatClient.KeepRatioOption] = 1.5;
        Assert.Contains("must be in (0, 1]", (await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(Ask("Hi"), options))).Message);
    }

    [Fact]
    public async Task Streaming_gives_the_same_text_as_a_whole_reply_and_ends_with_usage()
    {
        var options = new ChatOptions { MaxOutputTokens = 12, Temperature = 0.8f, TopP = 0.9f, Seed = 5 };
        var whole = await client.GetResponseAsync(Ask("Tell me"), options);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Ask("Tell me"), options)) updates.Add(update);
        Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.Single(updates[^1].Contents.OfType<UsageContent>());
        Assert.NotNull(updates[^1].FinishReason);
        Assert.All(updates, u => Assert.Equal(updates[0].ResponseId, u.ResponseId));
    }

    [Fact]
    public async Task Concurrent_requests_decode_together_and_each_gets_the_reply_it_gets_alone()
    {
        var questions = new[] { "Short", "A longer question than that", "Mid-sized one", "x" };
        var options = new ChatOptions { MaxOutputTokens = 10, Temperature = 0.7f, Seed = 3 };
        var alone = new List<string>();
        foreach (var q in questions) alone.Add((await client.GetResponseAsync(Ask(q), options)).Text);
        var together = await Task.WhenAll(questions.Select(q => client.GetResponseAsync(Ask(q), options)));
        Assert.Equal(alone, together.Select(r => r.Text));
    }

    [Fact]
    public async Task A_request_to_a_disposed_client_fails_instead_of_waiting_forever()
    {
        var closed = new SdtpChatClient(tiny.Served);
        closed.Dispose();
        var reply = closed.GetResponseAsync(Ask("Hi"), new ChatOptions { MaxOutputTokens = 2 });
        Assert.Same(reply, await Task.WhenAny(reply, Task.Delay(TimeSpan.FromSeconds(30))));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => reply);
    }

    [Fact]
    public async Task Bad_options_fail_before_any_work_naming_the_option()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(Ask("Hi"), new ChatOptions { Temperature = -1 }));
        Assert.Contains("Temperature", e.Message);
        e = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(Ask("Hi"), new ChatOptions { MaxOutputTokens = 5000 }));
        Assert.Contains("MaxOutputTokens 5000", e.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync([]));
    }

    [Fact]
    public async Task Cancellation_stops_generation_and_the_client_serves_the_next_request()
    {
        using var cancel = new CancellationTokenSource();
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync(Ask("Go"), new ChatOptions { MaxOutputTokens = 400 }, cancel.Token))
                if (++seen == 1) cancel.Cancel();
        });
        Assert.True(seen < 50);
        var next = await client.GetResponseAsync(Ask("Again"), new ChatOptions { MaxOutputTokens = 2 });
        Assert.InRange(next.Usage!.OutputTokenCount!.Value, 1, 2);
    }

    [Fact]
    public async Task The_client_works_inside_a_chat_client_builder_pipeline()
    {
        int calls = 0;
        using var pipeline = new ChatClientBuilder(client)
            .Use((messages, options, next, cancellationToken) =>
            {
                calls++;
                options ??= new ChatOptions();
                options.MaxOutputTokens = 2; // a middleware's option reaches the model
                return next(messages, options, cancellationToken);
            })
            .Build();
        var response = await pipeline.GetResponseAsync(Ask("Hi"));
        Assert.Equal(1, calls);
        Assert.InRange(response.Usage!.OutputTokenCount!.Value, 1, 2);
        Assert.Equal("tiny", pipeline.GetService<ChatClientMetadata>()!.DefaultModelId);
    }
}
