using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Generation;

/// <summary>
/// Decodes several requests as one batch: each request is prefilled alone (pruned or not, so each row keeps what it
/// would keep alone), then joins; every <see cref="Step"/> runs one forward for all rows, each sampled with its own
/// options; finished rows leave. Joining or leaving restacks the cache (left-padding shorter rows) between steps,
/// never during one. Not thread-safe: one caller drives it.
/// </summary>
public sealed class BatchedDecoder(LlamaForCausalLM model) : IDisposable
{
    private sealed class Row(int id, int lastToken, int remaining, HashSet<int> stops, TokenSampler sampler) : IDisposable
    {
        public int Id { get; } = id;
        public int LastToken { get; set; } = lastToken;
        public int Remaining { get; set; } = remaining;
        public HashSet<int> Stops { get; } = stops;
        public TokenSampler Sampler { get; } = sampler;
        public void Dispose() => Sampler.Dispose();
    }

    private readonly List<Row> rows = [];
    private KvCache? cache;

    /// <summary>Requests decoding now.</summary>
    public int Count => rows.Count;

    /// <summary>
    /// Adds a request whose prompt <paramref name="prefilled"/> holds (batch of one; copied, so the caller still
    /// disposes it): samples its first token from <paramref name="prefillLogits"/> [1, V] with the request's own
    /// sampler, as <see cref="TextGenerator"/> would, and returns it with whether that already ended the request
    /// (a stop token, or <see cref="GenerationOptions.MaxNewTokens"/> of 1); otherwise the request decodes with the
    /// batch from the next <see cref="Step"/>.
    /// </summary>
    public (int Token, bool Finished) Join(int id, KvCache prefilled, Tensor prefillLogits, GenerationOptions options)
    {
        options.Validate();
        if (rows.Any(r => r.Id == id)) throw new ArgumentException($"request {id} is already decoding", nameof(id));
        if (prefilled.Layers.Count != model.Layers.Count || prefilled.Layers[0].BatchSize != 1)
            throw new ArgumentException("a request joins with its own prefilled cache of batch 1 for this model", nameof(prefilled));
        var stops = new HashSet<int>(options.StopTokenIds is { Count: > 0 } ids ? ids : model.Config.EosTokenIds);
        var sampler = new TokenSampler(options);
        int first;
        using (var scope = NewDisposeScope()) first = (int)sampler.Next(prefillLogits).item<long>();
        var row = new Row(id, first, options.MaxNewTokens - 1, stops, sampler);
        if (row.Remaining <= 0 || stops.Contains(first))
        {
            row.Dispose();
            return (first, true);
        }
        Restack(cache is null ? [prefilled] : [cache, prefilled]);
        rows.Add(row);
        return (first, false);
    }

    /// <summary>
    /// One decode step for every row: the token each produced, and whether that ended it (a stop token or its token
    /// budget); ended rows have left when this returns.
    /// </summary>
    public IReadOnlyList<(int Id, int Token, bool Finished)> Step()
    {
        if (cache is null || rows.Count == 0) return [];
        var produced = new List<(int, int, bool)>(rows.Count);
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var ids = tensor(rows.Select(r => (long)r.LastToken).ToArray(), device: model.Device).unsqueeze(1);
            var logits = model.Forward(ids, cache: cache);
            for (int b = 0; b < rows.Count; b++)
            {
                var row = rows[b];
                int token = (int)row.Sampler.Next(logits.narrow(0, b, 1)).item<long>();
                row.LastToken = token;
                row.Remaining--;
                produced.Add((row.Id, token, row.Remaining <= 0 || row.Stops.Contains(token)));
            }
        }
        var staying = Enumerable.Range(0, produced.Count).Where(b => !produced[b].Item3).ToList();
        if (staying.Count < rows.Count) KeepOnly(staying);
        return produced;
    }

    /// <summary>Drops request <paramref name="id"/> (cancelled) before the next step.</summary>
    public void Leave(int id)
    {
        int index = rows.FindIndex(r => r.Id == id);
        if (index < 0 || cache is null) return;
        KeepOnly(Enumerable.Range(0, rows.Count).Where(b => b != index).ToList());
    }

    // The rows at batch indices staying go on (their cache rows selected); the others are disposed and leave.
    private void KeepOnly(IReadOnlyList<int> staying)
    {
        var kept = staying.Select(b => rows[b]).ToList();
        foreach (var row in rows.Except(kept)) row.Dispose();
        rows.Clear();
        rows.AddRange(kept);
        var old = cache!;
        cache = kept.Count == 0 ? null : old.SelectBatchRows(staying.Select(b => (long)b).ToArray());
        old.Dispose();
    }

    private void Restack(IReadOnlyList<KvCache> parts)
    {
        var stacked = KvCache.Stack(parts);
        cache?.Dispose();
        cache = stacked;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var row in rows) row.Dispose();
        rows.Clear();
        cache?.Dispose();
        cache = null;
    }
}
