using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Sdtp.Generation;

namespace Sdtp.Serving;

/// <summary>
/// A Microsoft.Extensions.AI chat client over a loaded model: renders the conversation with the model's chat template,
/// prefills it with SDTP (or densely), and generates the reply, whole or streamed. It honours
/// <see cref="ChatOptions.MaxOutputTokens"/>, <see cref="ChatOptions.Temperature"/>, <see cref="ChatOptions.TopP"/>,
/// <see cref="ChatOptions.StopSequences"/> and <see cref="ChatOptions.Seed"/>; <c>AdditionalProperties["sdtp"] = false</c>
/// runs a request dense. Usage reports prompt and completion tokens and, for an SDTP prefill, the tokens each layer
/// kept (<c>sdtp_kept_layer_N</c>) and the prefill's milliseconds (<c>prefill_ms</c>). Concurrent requests decode
/// together in one batch (<see cref="DecodeScheduler"/>), each prefilled alone; cancellation stops a request before
/// the next step.
/// </summary>
/// <param name="maxBatch">Requests that decode together at most; more wait for a place.</param>
public sealed class SdtpChatClient(ServedModel served, int maxBatch = 16) : IChatClient
{
    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key that turns SDTP off for a request (<c>false</c>).</summary>
    public const string SdtpOption = "sdtp";

    /// <summary>
    /// The <see cref="ChatOptions.AdditionalProperties"/> key of a keep ratio in (0, 1] for every stage of this request
    /// (<see cref="ServedModel.AtKeepRatio"/>); absent, the served schedule's own ratios.
    /// </summary>
    public const string KeepRatioOption = "sdtp_keep_ratio";

    /// <summary>Reply tokens when a request names no <see cref="ChatOptions.MaxOutputTokens"/>.</summary>
    public const int DefaultMaxOutputTokens = 256;

    private readonly DecodeScheduler scheduler = new(served.Model, maxBatch);

    /// <inheritdoc/>
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Collect(GetStreamingResponseAsync(messages, options, cancellationToken));

    /// <summary>The whole plain completion of <paramref name="prompt"/> (see <see cref="GetStreamingCompletionAsync"/>).</summary>
    public Task<ChatResponse> GetCompletionAsync(string prompt, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Collect(GetStreamingCompletionAsync(prompt, options, cancellationToken));

    // Microsoft.Extensions.AI's own merge of streamed updates: text, usage (from the last update's UsageContent),
    // finish reason, response id and model.
    private static Task<ChatResponse> Collect(IAsyncEnumerable<ChatResponseUpdate> updates) => updates.ToChatResponseAsync();

    /// <inheritdoc/>
    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        if (list.Count == 0) throw new ArgumentException("no messages: a chat request needs at least one", nameof(messages));
        return Run(Prepare(served.Template.Render(list), !served.Template.WritesBos, served.Template.StopStrings, options), cancellationToken);
    }

    /// <summary>
    /// A plain completion of <paramref name="prompt"/> as written (no chat template; BOS added when the tokenizer has
    /// one), streamed like a chat reply: what OpenAI's <c>/v1/completions</c> serves.
    /// </summary>
    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingCompletionAsync(string prompt, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(prompt)) throw new ArgumentException("the prompt is empty", nameof(prompt));
        return Run(Prepare(prompt, addBos: true, [], options), cancellationToken);
    }

    /// <summary>Tokens <paramref name="text"/> takes as a prompt (what a server checks against the context before queueing).</summary>
    public int CountPromptTokens(string text) => served.Tokenizer.Encode(text, addBos: true).Count;

    private async IAsyncEnumerable<ChatResponseUpdate> Run(Request request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Cancelled when the caller cancels or the reply ends early (a stop token or sequence): the request leaves the batch.
        using var halt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var job = new DecodeScheduler.Job(request.PromptIds, request.Generation, request.Sdtp, halt.Token);
        scheduler.Submit(job);
        try
        {
            var responseId = "chatcmpl-" + Guid.NewGuid().ToString("N");
            var created = DateTimeOffset.UtcNow;
            var detokenizer = new IncrementalDetokenizer(served.Tokenizer);
            var stops = new StopSequenceFilter(request.StopStrings);
            var stopIds = request.Generation.StopTokenIds!.ToHashSet();
            int generated = 0;
            bool endedByStop = false;
            await foreach (var token in job.Tokens.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                cancellationToken.ThrowIfCancellationRequested(); // the channel hands over buffered tokens without checking
                generated++;
                if (stopIds.Contains(token))
                {
                    endedByStop = true;
                    break;
                }
                var chunk = stops.Push(detokenizer.Push(token));
                if (chunk.Length > 0) yield return Update(chunk);
                if (stops.Stopped)
                {
                    endedByStop = true;
                    break;
                }
            }
            if (!stops.Stopped)
            {
                var rest = stops.Push(detokenizer.Flush()) + stops.Flush();
                if (rest.Length > 0) yield return Update(rest);
            }
            var usage = new UsageDetails
            {
                InputTokenCount = request.PromptIds.Count,
                OutputTokenCount = generated,
                TotalTokenCount = request.PromptIds.Count + generated,
                AdditionalCounts = new() { ["prefill_ms"] = (long)Math.Round(job.PrefillMs) },
            };
            if (job.Report is { } report)
                for (int layer = 0; layer < report.TokensPerLayer.Count; layer++)
                    usage.AdditionalCounts[$"sdtp_kept_layer_{layer.ToString(CultureInfo.InvariantCulture)}"] = report.TokensPerLayer[layer];
            yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(usage)])
            {
                ResponseId = responseId,
                CreatedAt = created,
                ModelId = served.ModelId,
                FinishReason = endedByStop ? ChatFinishReason.Stop : ChatFinishReason.Length,
            };

            ChatResponseUpdate Update(string chunk) => new(ChatRole.Assistant, chunk) { ResponseId = responseId, CreatedAt = created, ModelId = served.ModelId };
        }
        finally
        {
            halt.Cancel(); // a reply that ended early, or was abandoned, leaves the batch
        }
    }

    private sealed record Request(IReadOnlyList<int> PromptIds, GenerationOptions Generation, IReadOnlyList<string> StopStrings, PrunedPrefillFunc? Sdtp);

    // Everything a request asks for, checked before any work: bad options fail here, in the caller's thread.
    private Request Prepare(string prompt, bool addBos, IReadOnlyList<string> templateStops, ChatOptions? options)
    {
        bool useSdtp = served.SdtpPrefill is not null;
        if (options?.AdditionalProperties?.TryGetValue(SdtpOption, out var flag) == true)
        {
            useSdtp = flag switch
            {
                bool b => b,
                System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.True } => true,
                System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.False } => false,
                _ => throw new ArgumentException($"'{SdtpOption}' must be true or false (got {flag})"),
            };
            if (useSdtp && served.SdtpPrefill is null)
                throw new ArgumentException($"'{SdtpOption}': true was asked but {served.ModelId} has no trained heads; it can only run dense");
        }
        var ids = served.Tokenizer.Encode(prompt, addBos);
        int context = served.Model.Config.MaxPositionEmbeddings;
        if (ids.Count >= context)
            throw new ArgumentException($"the prompt is {ids.Count} tokens, at least the model's context of {context}");
        int maxTokens = options?.MaxOutputTokens ?? Math.Min(DefaultMaxOutputTokens, context - ids.Count);
        var stopStrings = templateStops.Concat(options?.StopSequences ?? []).ToList();
        // A stop string that is one token of the vocabulary (<|im_end|>, <|eot_id|>) also stops as a token: decoding drops specials.
        var stopIds = served.Model.Config.EosTokenIds.Concat(served.Tokenizer.EosId is int eos ? [eos] : [])
            .Concat(stopStrings.Select(s => served.Tokenizer.Encode(s)).Where(t => t.Count == 1).Select(t => t[0])).Distinct().ToList();
        var generation = new GenerationOptions
        {
            MaxNewTokens = maxTokens,
            Temperature = options?.Temperature ?? 0,
            TopP = options?.TopP ?? 1,
            Seed = options?.Seed ?? 0,
            StopTokenIds = stopIds,
        };
        generation.Validate("MaxOutputTokens", "Temperature", "TopP");
        if ((long)ids.Count + maxTokens > context)
            throw new ArgumentException($"MaxOutputTokens {maxTokens}: the prompt ({ids.Count} tokens) leaves room for at most {context - ids.Count} in the model's context of {context}");
        PrunedPrefillFunc? sdtp = useSdtp ? served.SdtpPrefill : null;
        if (options?.AdditionalProperties?.TryGetValue(KeepRatioOption, out var ratioValue) == true)
        {
            double ratio = ratioValue switch
            {
                double d => d,
                float f => f,
                System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Number } e => e.GetDouble(),
                _ => throw new ArgumentException($"'{KeepRatioOption}' must be a number in (0, 1] (got {ratioValue})"),
            };
            if (!(ratio > 0 && ratio <= 1)) throw new ArgumentException($"'{KeepRatioOption}' must be in (0, 1] (got {ratio})");
            if (!useSdtp || served.AtKeepRatio is null) throw new ArgumentException($"'{KeepRatioOption}' needs SDTP on and a model with trained heads");
            sdtp = served.AtKeepRatio(ratio);
        }
        return new Request(ids, generation, stopStrings, sdtp);
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("sdtpgen", null, served.ModelId)
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType.IsInstanceOfType(served) ? served
        : null;

    /// <inheritdoc/>
    public void Dispose() => scheduler.Dispose();
}
