using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;
using Sdtp.Serving;

namespace Sdtp.Server;

/// <summary>
/// An OpenAI-compatible HTTP server over <see cref="SdtpChatClient"/>: <c>POST /v1/chat/completions</c> and
/// <c>POST /v1/completions</c> (whole, or streamed as server-sent events ending with <c>data: [DONE]</c>),
/// <c>GET /v1/models</c>, <c>GET /health</c> and <c>GET /metrics</c> (Prometheus text). Up to
/// <see cref="SdtpServerOptions.MaxBatch"/> requests decode together in one batch, up to
/// <see cref="SdtpServerOptions.QueueLimit"/> more wait, and more than that get 429 with Retry-After.
/// Every refusal is OpenAI's error object; a client that disconnects stops its generation.
/// </summary>
public static class SdtpServer
{
    /// <summary>A server for <paramref name="served"/>, not yet started (<c>app.RunAsync()</c> or <c>StartAsync()</c>).</summary>
    public static WebApplication Build(ServedModel served, SdtpServerOptions options, ServerMetrics? metrics = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Parse(options.Host), options.Port);
            kestrel.Limits.MaxRequestBodySize = null; // checked here, so the refusal is OpenAI's 413 JSON
        });
        builder.Services.AddSingleton(served);
        var app = builder.Build();
        var client = new SdtpChatClient(served, options.MaxBatch);
        app.Lifetime.ApplicationStopped.Register(client.Dispose);
        metrics ??= new ServerMetrics();
        int admitted = options.MaxBatch + options.QueueLimit; // a full batch decoding, the rest waiting
        var queue = new SemaphoreSlim(admitted, admitted);
        string? apiKey = options.ApiKey ?? Environment.GetEnvironmentVariable(SdtpServerOptions.ApiKeyVariable);

        app.Use(async (context, next) =>
        {
            if (apiKey is not null && context.Request.Path.StartsWithSegments("/v1")
                && context.Request.Headers.Authorization.ToString() != "Bearer " + apiKey)
            {
                metrics.Errors.WithLabels(context.Request.Path, "401").Inc();
                await new OpenAiError(401, "invalid or missing API key (send Authorization: Bearer KEY)", type: "authentication_error", code: "invalid_api_key")
                    .WriteAsync(context.Response);
                return;
            }
            await next(context);
        });
        app.MapGet("/health", () => Results.Json(new { status = "ok", model = served.ModelId }));
        app.MapGet("/v1/models", () => Results.Json(new
        {
            @object = "list",
            data = new[] { new { id = served.ModelId, @object = "model", created = 0, owned_by = "sdtpgen" } },
        }));
        app.MapGet("/metrics", async context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4";
            await metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
        });
        app.MapPost("/v1/chat/completions", context => Serve(context, chat: true));
        app.MapPost("/v1/completions", context => Serve(context, chat: false));
        return app;

        async Task Serve(HttpContext context, bool chat)
        {
            var endpoint = context.Request.Path.Value!;
            var arrived = Stopwatch.StartNew();
            bool admitted = false;
            try
            {
                var request = CompletionRequest.Parse(CompletionRequest.ReadJson(await ReadBody(context.Request, options.MaxBodyBytes)), chat, served.ModelId);
                if (!queue.Wait(0))
                {
                    context.Response.Headers.RetryAfter = "1";
                    throw new OpenAiError(429, $"the server is busy: {options.MaxBatch} requests are decoding and {options.QueueLimit} waiting; retry shortly", type: "rate_limit_error", code: "queue_full");
                }
                admitted = true;
                var updates = chat
                    ? client.GetStreamingResponseAsync(request.Messages!, request.Options, context.RequestAborted)
                    : client.GetStreamingCompletionAsync(request.Prompt!, request.Options, context.RequestAborted);
                await (request.Stream ? Stream(context, updates, chat, request.IncludeUsage, arrived) : Whole(context, updates, chat, arrived));
                metrics.Requests.WithLabels(endpoint, context.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
            }
            catch (OpenAiError e) when (!context.Response.HasStarted)
            {
                metrics.Errors.WithLabels(endpoint, e.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
                await e.WriteAsync(context.Response);
            }
            catch (ArgumentException e) when (!context.Response.HasStarted)
            {
                // The client's own checks (context length, option ranges): the caller's request was wrong.
                metrics.Errors.WithLabels(endpoint, "400").Inc();
                await new OpenAiError(400, e.Message.Split(" (Parameter", 2)[0]).WriteAsync(context.Response);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                metrics.Errors.WithLabels(endpoint, "499").Inc(); // the client went away; its generation has stopped
            }
            finally
            {
                if (admitted) queue.Release();
            }
        }

        async Task Whole(HttpContext context, IAsyncEnumerable<ChatResponseUpdate> updates, bool chat, Stopwatch arrived)
        {
            var reply = await ObservingFirstText(updates, arrived).ToChatResponseAsync(context.RequestAborted);
            Record(reply.Usage, arrived);
            var choice = chat
                ? new JsonObject { ["index"] = 0, ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = reply.Text }, ["finish_reason"] = Finish(reply.FinishReason) }
                : new JsonObject { ["index"] = 0, ["text"] = reply.Text, ["logprobs"] = null, ["finish_reason"] = Finish(reply.FinishReason) };
            var response = Envelope(reply.ResponseId, reply.CreatedAt, chat ? "chat.completion" : "text_completion");
            response["choices"] = new JsonArray(choice);
            response["usage"] = Usage(reply.Usage);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(response.ToJsonString());
        }

        // The updates as they are, noting when the first text arrives (time to first token).
        async IAsyncEnumerable<ChatResponseUpdate> ObservingFirstText(IAsyncEnumerable<ChatResponseUpdate> updates, Stopwatch arrived)
        {
            bool seen = false;
            await foreach (var update in updates)
            {
                if (!seen && update.Text.Length > 0)
                {
                    metrics.TimeToFirstToken.Observe(arrived.Elapsed.TotalSeconds);
                    seen = true;
                }
                yield return update;
            }
        }

        async Task Stream(HttpContext context, IAsyncEnumerable<ChatResponseUpdate> updates, bool chat, bool includeUsage, Stopwatch arrived)
        {
            var type = chat ? "chat.completion.chunk" : "text_completion";
            bool first = true;
            UsageDetails? usage = null;
            ChatResponseUpdate? last = null;
            var previous = Stopwatch.StartNew();
            await foreach (var update in updates)
            {
                usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? usage;
                last = update;
                if (update.Text.Length == 0) continue;
                if (first)
                {
                    metrics.TimeToFirstToken.Observe(arrived.Elapsed.TotalSeconds);
                    context.Response.ContentType = "text/event-stream";
                    context.Response.Headers.CacheControl = "no-cache";
                }
                else metrics.TokenLatency.Observe(previous.Elapsed.TotalSeconds);
                previous.Restart();
                await Event(context, Chunk(update, chat, type, first ? "assistant" : null, update.Text, null));
                first = false;
            }
            if (first) context.Response.ContentType = "text/event-stream";
            Record(usage, arrived);
            await Event(context, Chunk(last, chat, type, null, null, Finish(last?.FinishReason)));
            if (includeUsage)
            {
                var usageChunk = Envelope(last?.ResponseId, last?.CreatedAt, type);
                usageChunk["choices"] = new JsonArray();
                usageChunk["usage"] = Usage(usage);
                await Event(context, usageChunk);
            }
            await context.Response.WriteAsync("data: [DONE]\n\n");
            await context.Response.Body.FlushAsync();
        }

        void Record(UsageDetails? usage, Stopwatch arrived)
        {
            if (usage is null) return;
            metrics.PromptTokens.Inc(usage.InputTokenCount ?? 0);
            metrics.GeneratedTokens.Inc(usage.OutputTokenCount ?? 0);
            if (usage.AdditionalCounts?.TryGetValue($"sdtp_kept_layer_{served.Model.Config.NumHiddenLayers - 1}", out var keptLast) == true)
                metrics.PrunedTokens.Inc(Math.Max(0, (usage.InputTokenCount ?? 0) - keptLast));
        }

        JsonObject Envelope(string? id, DateTimeOffset? created, string type) => new()
        {
            ["id"] = id ?? "cmpl-" + Guid.NewGuid().ToString("N"),
            ["object"] = type,
            ["created"] = (created ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(),
            ["model"] = served.ModelId,
        };

        JsonObject Chunk(ChatResponseUpdate? update, bool chat, string type, string? role, string? text, string? finish)
        {
            var chunk = Envelope(update?.ResponseId, update?.CreatedAt, type);
            JsonObject choice;
            if (chat)
            {
                var delta = new JsonObject();
                if (role is not null) delta["role"] = role;
                if (text is not null) delta["content"] = text;
                choice = new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish };
            }
            else choice = new JsonObject { ["index"] = 0, ["text"] = text ?? "", ["logprobs"] = null, ["finish_reason"] = finish };
            chunk["choices"] = new JsonArray(choice);
            return chunk;
        }

        JsonObject Usage(UsageDetails? usage)
        {
            var counts = usage?.AdditionalCounts;
            var kept = Enumerable.Range(0, served.Model.Config.NumHiddenLayers)
                .Select(l => counts?.TryGetValue($"sdtp_kept_layer_{l}", out var k) == true ? (long?)k : null).ToList();
            bool pruned = kept.All(k => k is not null);
            return new JsonObject
            {
                ["prompt_tokens"] = usage?.InputTokenCount ?? 0,
                ["completion_tokens"] = usage?.OutputTokenCount ?? 0,
                ["total_tokens"] = usage?.TotalTokenCount ?? 0,
                ["sdtp"] = new JsonObject
                {
                    ["enabled"] = pruned,
                    ["kept_tokens_per_layer"] = pruned ? new JsonArray(kept.Select(k => (JsonNode?)k!.Value).ToArray()) : null,
                    ["prefill_ms"] = counts?.TryGetValue("prefill_ms", out var ms) == true ? ms : null,
                },
            };
        }
    }

    private static string? Finish(ChatFinishReason? reason) =>
        reason is { } r ? r == ChatFinishReason.Length ? "length" : "stop" : null;

    private static async Task Event(HttpContext context, JsonObject data)
    {
        await context.Response.WriteAsync("data: " + data.ToJsonString() + "\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    // The body, or 413 once it passes the limit (checked on the declared length and on what actually arrives).
    private static async Task<byte[]> ReadBody(HttpRequest request, long limit)
    {
        if (request.ContentLength > limit) throw TooLarge(limit);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > limit) throw TooLarge(limit);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static OpenAiError TooLarge(long limit) => new(413, $"the request body is larger than the server's limit of {limit} bytes", "body", code: "request_too_large");
}
