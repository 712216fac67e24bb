using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;
using Sdtp.Server;

namespace Sdtp.Serving.Tests;

/// <summary>The OpenAI-compatible server on loopback, talked to by the official OpenAI .NET client, Microsoft.Extensions.AI.OpenAI and raw HTTP.</summary>
public sealed class OpenAiServerTests : IAsyncLifetime
{
    private const string Key = "test-key";
    private readonly TinyServedModel tiny = new(context: 4096);
    private WebApplication app = null!;
    private Uri root = null!;
    private readonly HttpClient http = new();

    public async Task InitializeAsync()
    {
        app = SdtpServer.Build(tiny.Served, new SdtpServerOptions { Port = 0, ApiKey = Key, MaxBodyBytes = 64 * 1024 });
        await app.StartAsync();
        root = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
    }

    public async Task DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        http.Dispose();
        tiny.Dispose();
    }

    private OpenAIClient Official(string key = Key) => new(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(root, "/v1") });

    private Task<HttpResponseMessage> Post(string path, string json) =>
        http.PostAsync(new Uri(root, path), new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task The_official_client_chats_whole_and_streamed()
    {
        var chat = Official().GetChatClient("tiny");
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 6 };
        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("Say something" + new string('.', 150))], options);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.InRange(completion.Usage.OutputTokenCount, 1, 6);
        Assert.True(completion.Usage.InputTokenCount > 150);

        var text = new StringBuilder();
        int updates = 0;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Say something" + new string('.', 150))], options))
        {
            updates++;
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
        }
        Assert.True(updates >= 2);
        Assert.Equal(completion.Content.Count == 0 ? "" : completion.Content[0].Text, text.ToString()); // greedy: the same reply
    }

    [Fact]
    public async Task Microsoft_extensions_ai_openai_talks_to_the_server()
    {
        IChatClient client = Official().GetChatClient("tiny").AsIChatClient();
        var response = await client.GetResponseAsync("Hello there" + new string('!', 100), new Microsoft.Extensions.AI.ChatOptions { MaxOutputTokens = 4 });
        Assert.InRange(response.Usage!.OutputTokenCount!.Value, 1, 4);
    }

    [Fact]
    public async Task Completions_stream_server_sent_events_ending_with_done_and_echo_sdtp_in_usage()
    {
        var response = await Post("/v1/completions", """{"model": "tiny", "prompt": "Once upon a time there was a long story about", "max_tokens": 5, "stream": true, "stream_options": {"include_usage": true}}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        var usage = JsonNode.Parse(events[^2]["data: ".Length..])!["usage"]!;
        Assert.True(usage["sdtp"]!["enabled"]!.GetValue<bool>());
        Assert.Equal(4, usage["sdtp"]!["kept_tokens_per_layer"]!.AsArray().Count);
        Assert.True(usage["sdtp"]!["prefill_ms"] is not null);

        var dense = JsonNode.Parse(await (await Post("/v1/chat/completions",
            """{"model": "tiny", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 3, "sdtp": {"enabled": false}}""")).Content.ReadAsStringAsync())!;
        Assert.False(dense["usage"]!["sdtp"]!["enabled"]!.GetValue<bool>());
        Assert.Equal("chat.completion", dense["object"]!.GetValue<string>());

        var halved = JsonNode.Parse(await (await Post("/v1/chat/completions",
            """{"model": "tiny", "messages": [{"role": "user", "content": "Tell me a long story please"}], "max_tokens": 2, "sdtp": {"keep_ratio": 0.5}}""")).Content.ReadAsStringAsync())!;
        var kept = halved["usage"]!["sdtp"]!["kept_tokens_per_layer"]!.AsArray().Select(k => k!.GetValue<long>()).ToArray();
        var halfSchedule = new Sdtp.Pruning.PruningSchedule(
            TinyServedModel.Schedule.Stages.Select(s => s with { KeepRatio = 0.5 }).ToList(), TinyServedModel.Schedule.AlwaysKeep);
        Assert.Equal(halfSchedule.TokensPerLayer((int)kept[0], 4).Select(n => (long)n), kept); // 0.5 per stage, not the schedule's 0.6
        var bad = await Post("/v1/chat/completions", """{"model": "tiny", "messages": [{"role": "user", "content": "Hi"}], "sdtp": {"keep_ratio": 1.5}}""");
        Assert.Equal("sdtp.keep_ratio", JsonNode.Parse(await bad.Content.ReadAsStringAsync())!["error"]!["param"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_wrong_api_key_gets_401()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() => Official("wrong").GetChatClient("tiny").CompleteChatAsync([new UserChatMessage("Hi")]));
        Assert.Equal(401, e.Status);
        using var anonymous = new HttpClient();
        var response = await anonymous.GetAsync(new Uri(root, "/v1/models"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_api_key", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(new Uri(root, "/health"))).StatusCode);
    }

    [Theory]
    [InlineData("""{"model": "tiny", "messages": [""", "body")]
    [InlineData("""{"model": "tiny"}""", "messages")]
    [InlineData("""{"model": "gpt-4", "messages": [{"role": "user", "content": "Hi"}]}""", "model")]
    [InlineData("""{"model": "tiny", "n": 2, "messages": [{"role": "user", "content": "Hi"}]}""", "n")]
    [InlineData("""{"model": "tiny", "max_tokens": -3, "messages": [{"role": "user", "content": "Hi"}]}""", "max_tokens")]
    [InlineData("""{"model": "tiny", "max_tokens": 100000, "messages": [{"role": "user", "content": "Hi"}]}""", null)]
    [InlineData("""{"model": "tiny", "temperature": 5, "messages": [{"role": "user", "content": "Hi"}]}""", "temperature")]
    [InlineData("""{"model": "tiny", "messages": [{"role": "tool", "content": "Hi"}]}""", "messages[0].role")]
    public async Task Bad_requests_get_400_with_an_openai_error_and_the_server_keeps_serving(string body, string? param)
    {
        var response = await Post("/v1/chat/completions", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(error["message"]!.GetValue<string>()));
        if (param is not null) Assert.Equal(param, error["param"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(root, "/health"))).StatusCode);
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_gets_400_and_a_huge_body_413()
    {
        var longPrompt = new string('x', 4200); // 4200 byte tokens, context 4096
        var response = await Post("/v1/completions", $$"""{"model": "tiny", "prompt": "{{longPrompt}}"}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("context of 4096", await response.Content.ReadAsStringAsync());

        var huge = await Post("/v1/completions", $$"""{"model": "tiny", "prompt": "{{new string('y', 70 * 1024)}}"}""");
        Assert.Equal((HttpStatusCode)413, huge.StatusCode);
        Assert.Equal("request_too_large", JsonNode.Parse(await huge.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_stops_its_generation()
    {
        var body = """{"model": "tiny", "stream": true, "max_tokens": 4000, "messages": [{"role": "user", "content": "Go on"}]}""";
        // No draining: a pooled HttpClient would read the rest of the stream to reuse the connection, and the server would never see the hang-up.
        using var hangingUp = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0, ResponseDrainTimeout = TimeSpan.Zero });
        hangingUp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using (var request = new HttpRequestMessage(HttpMethod.Post, new Uri(root, "/v1/chat/completions")) { Content = new StringContent(body, Encoding.UTF8, "application/json") })
        using (var response = await hangingUp.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await reader.ReadLineAsync()); // one chunk, then hang up
        }
        // The server notices, cancels the generation (counted as status 499) and serves the next request.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!(await http.GetStringAsync(new Uri(root, "/metrics"))).Contains("status=\"499\"") && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Contains("status=\"499\"", await http.GetStringAsync(new Uri(root, "/metrics")));
        var next = await Post("/v1/chat/completions", """{"model": "tiny", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2}""");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task A_full_queue_answers_429_with_retry_after()
    {
        // A server with room for one decoding request and none waiting, kept busy by a long generation.
        await using var small = SdtpServer.Build(tiny.Served, new SdtpServerOptions { Port = 0, MaxBatch = 1, QueueLimit = 0 });
        await small.StartAsync();
        var address = new Uri(small.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var client = new HttpClient();
        string Body(int tokens) => $$"""{"model": "tiny", "stream": true, "max_tokens": {{tokens}}, "messages": [{"role": "user", "content": "Go"}]}""";
        using var busy = new HttpRequestMessage(HttpMethod.Post, new Uri(address, "/v1/chat/completions")) { Content = new StringContent(Body(3500), Encoding.UTF8, "application/json") };
        using var running = await client.SendAsync(busy, HttpCompletionOption.ResponseHeadersRead);
        var refused = await client.PostAsync(new Uri(address, "/v1/chat/completions"), new StringContent(Body(2), Encoding.UTF8, "application/json"));
        Assert.Equal((HttpStatusCode)429, refused.StatusCode);
        Assert.Equal("1", refused.Headers.RetryAfter!.ToString());
        Assert.Equal("queue_full", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<string>());
        await small.StopAsync();
    }

    [Fact]
    public async Task Models_and_metrics_describe_the_server()
    {
        var models = JsonNode.Parse(await http.GetStringAsync(new Uri(root, "/v1/models")))!;
        Assert.Equal("tiny", models["data"]![0]!["id"]!.GetValue<string>());
        await Post("/v1/chat/completions", """{"model": "tiny", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2}""");
        var metrics = await http.GetStringAsync(new Uri(root, "/metrics"));
        foreach (var name in new[] { "sdtp_requests_total", "sdtp_prompt_tokens_total", "sdtp_generated_tokens_total", "sdtp_pruned_tokens_total", "sdtp_time_to_first_token_seconds" })
            Assert.Contains(name, metrics);
    }
}
