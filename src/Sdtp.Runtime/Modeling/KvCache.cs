using static TorchSharp.torch;

namespace Sdtp.Modeling;

/// <summary>
/// The key/value cache of one decoder layer: preallocated buffers written in place (no <c>cat</c> per step),
/// growing by doubling when full. Each layer's cache has its own length, so after pruning deeper layers can hold
/// fewer tokens than shallower ones. It owns its tensors.
/// </summary>
public sealed class LayerKvCache : IDisposable
{
    private Tensor? keys;    // [B, H_kv, capacity, D]
    private Tensor? values;  // [B, H_kv, capacity, D]
    private Tensor? valid;   // [B, capacity] bool: false for padding
    private bool anyPadding;
    private readonly long initialCapacity;

    /// <summary>An empty cache; buffers are allocated on the first append, sized for at least <paramref name="initialCapacity"/> tokens.</summary>
    public LayerKvCache(long initialCapacity = 256)
    {
        if (initialCapacity <= 0) throw new ArgumentOutOfRangeException(nameof(initialCapacity), initialCapacity, "must be positive");
        this.initialCapacity = initialCapacity;
    }

    /// <summary>Tokens held per row.</summary>
    public long Length { get; private set; }

    /// <summary>Tokens the buffers can hold before they grow.</summary>
    public long Capacity => keys?.shape[2] ?? 0;

    /// <summary>Bytes of the live keys and values (Length rows), the figure a memory budget cares about.</summary>
    public long Bytes => keys is null ? 0 : 2 * keys.shape[0] * keys.shape[1] * Length * keys.shape[3] * keys.element_size();

    /// <summary>Keys [B, H_kv, Length, D], a view of the buffer.</summary>
    public Tensor Keys => (keys ?? throw new InvalidOperationException("the cache is empty")).narrow(2, 0, Length);

    /// <summary>Values [B, H_kv, Length, D], a view of the buffer.</summary>
    public Tensor Values => (values ?? throw new InvalidOperationException("the cache is empty")).narrow(2, 0, Length);

    /// <summary>Key validity [B, Length] (false for padding), or null when no padding was ever written.</summary>
    public Tensor? Valid => anyPadding ? valid!.narrow(1, 0, Length) : null;

    /// <summary>
    /// Writes <paramref name="newKeys"/>/<paramref name="newValues"/> [B, H_kv, T, D] after the held rows and returns
    /// views of everything held, plus the validity of all held keys (null when there is no padding).
    /// </summary>
    public (Tensor Keys, Tensor Values, Tensor? Valid) Append(Tensor newKeys, Tensor newValues, Tensor? newValid)
    {
        long t = newKeys.shape[2];
        EnsureCapacity(newKeys, Length + t);
        using (no_grad())
        {
            keys!.narrow(2, Length, t).copy_(newKeys);
            values!.narrow(2, Length, t).copy_(newValues);
            if (newValid is not null)
            {
                valid!.narrow(1, Length, t).copy_(newValid);
                anyPadding = true;
            }
            else
            {
                valid!.narrow(1, Length, t).FillWith(true);
            }
        }
        Length += t;
        return (Keys, Values, Valid);
    }

    /// <summary>
    /// Keeps only the rows <paramref name="indices"/> [B, n] (int64, per batch row, ascending) of what is held,
    /// moved to the front, as if they were the only rows ever written.
    /// </summary>
    public void KeepRows(Tensor indices)
    {
        if (keys is null) throw new InvalidOperationException("cannot keep rows of an empty cache");
        if (indices.dim() != 2 || indices.shape[0] != keys.shape[0])
            throw new ArgumentException($"indices must be [batch={keys.shape[0]}, n], got [{string.Join(", ", indices.shape)}]", nameof(indices));
        long n = indices.shape[1];
        if (n > Length)
            throw new ArgumentException($"cannot keep {n} rows of a cache holding {Length}", nameof(indices));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var index = indices.to(keys.device).to_type(ScalarType.Int64);
        var kvIndex = index.unsqueeze(1).unsqueeze(-1).expand(keys.shape[0], keys.shape[1], n, keys.shape[3]);
        // gather allocates new tensors, so writing them back over the overlapping front of the buffer is safe.
        var keptKeys = Keys.gather(2, kvIndex);
        var keptValues = Values.gather(2, kvIndex);
        var keptValid = valid!.narrow(1, 0, Length).gather(1, index);
        keys.narrow(2, 0, n).copy_(keptKeys);
        values!.narrow(2, 0, n).copy_(keptValues);
        valid.narrow(1, 0, n).copy_(keptValid);
        Length = n;
    }

    /// <summary>Batch rows held per position (0 when empty).</summary>
    public long BatchSize => keys?.shape[0] ?? 0;

    /// <summary>
    /// One cache holding the batch rows of <paramref name="parts"/> one after another, each left-padded (keys invalid)
    /// to the longest part, so that every row's newest key sits at the end and rows of different lengths decode as one
    /// batch. The parts are copied; they stay as they were.
    /// </summary>
    public static LayerKvCache Stack(IReadOnlyList<LayerKvCache> parts)
    {
        var filled = parts.Where(p => p.keys is not null).ToList();
        if (filled.Count == 0) throw new ArgumentException("no part holds anything to stack", nameof(parts));
        var like = filled[0].keys!;
        long length = filled.Max(p => p.Length), batch = filled.Sum(p => p.BatchSize), capacity = Math.Max(1, length);
        var stacked = new LayerKvCache(capacity);
        stacked.keys = zeros([batch, like.shape[1], capacity, like.shape[3]], like.dtype, like.device).DetachFromDisposeScope();
        stacked.values = zeros([batch, like.shape[1], capacity, like.shape[3]], like.dtype, like.device).DetachFromDisposeScope();
        stacked.valid = zeros([batch, capacity], ScalarType.Bool, like.device).DetachFromDisposeScope();
        using var noGrad = no_grad();
        long row = 0;
        foreach (var part in filled)
        {
            long b = part.BatchSize, pad = length - part.Length;
            stacked.keys.narrow(0, row, b).narrow(2, pad, part.Length).copy_(part.Keys);
            stacked.values.narrow(0, row, b).narrow(2, pad, part.Length).copy_(part.Values);
            stacked.valid.narrow(0, row, b).narrow(1, pad, part.Length).copy_(part.valid!.narrow(1, 0, part.Length));
            row += b;
        }
        stacked.Length = length;
        stacked.anyPadding = filled.Any(p => p.anyPadding || p.Length < length);
        return stacked;
    }

    /// <summary>A new cache of the batch rows <paramref name="rows"/> only (the others leave the batch).</summary>
    public LayerKvCache SelectBatchRows(long[] rows)
    {
        if (keys is null) throw new InvalidOperationException("cannot select rows of an empty cache");
        using var scope = NewDisposeScope();
        var index = tensor(rows, device: keys.device);
        var selected = new LayerKvCache(Math.Max(1, Length));
        selected.keys = keys.index_select(0, index).DetachFromDisposeScope();
        selected.values = values!.index_select(0, index).DetachFromDisposeScope();
        selected.valid = valid!.index_select(0, index).DetachFromDisposeScope();
        selected.Length = Length;
        selected.anyPadding = anyPadding;
        return selected;
    }

    /// <summary>Forgets every row (the buffers stay allocated for reuse).</summary>
    public void Clear()
    {
        Length = 0;
        anyPadding = false;
    }

    private void EnsureCapacity(Tensor like, long needed)
    {
        if (keys is not null && (keys.shape[0] != like.shape[0] || keys.shape[1] != like.shape[1] || keys.shape[3] != like.shape[3]))
            throw new ArgumentException(
                $"cache holds [{keys.shape[0]}, {keys.shape[1]}, *, {keys.shape[3]}] but got keys [{string.Join(", ", like.shape)}]");
        if (needed <= Capacity) return;
        long capacity = Math.Max(needed, Math.Max(initialCapacity, 2 * Capacity));
        var newKeys = zeros([like.shape[0], like.shape[1], capacity, like.shape[3]], like.dtype, like.device).DetachFromDisposeScope();
        var newValues = zeros([like.shape[0], like.shape[1], capacity, like.shape[3]], like.dtype, like.device).DetachFromDisposeScope();
        var newValid = zeros([like.shape[0], capacity], ScalarType.Bool, like.device).DetachFromDisposeScope();
        if (keys is not null && Length > 0)
        {
            using var noGrad = no_grad();
            newKeys.narrow(2, 0, Length).copy_(Keys);
            newValues.narrow(2, 0, Length).copy_(Values);
            newValid.narrow(1, 0, Length).copy_(valid!.narrow(1, 0, Length));
        }
        DisposeBuffers();
        (keys, values, valid) = (newKeys, newValues, newValid);
    }

    private void DisposeBuffers()
    {
        keys?.Dispose();
        values?.Dispose();
        valid?.Dispose();
        (keys, values, valid) = (null, null, null);
    }

    /// <inheritdoc/>
    public void Dispose() => DisposeBuffers();
}

/// <summary>
/// The caches of every layer, plus the next ORIGINAL position id of each batch row, so decode continues the
/// positions of the full prompt even when pruning left fewer tokens in the cache.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly LayerKvCache[] layers;
    private Tensor? nextPositions;

    /// <summary>One empty cache per layer.</summary>
    public KvCache(int numLayers, long initialCapacity = 256)
    {
        layers = Enumerable.Range(0, numLayers).Select(_ => new LayerKvCache(initialCapacity)).ToArray();
    }

    private KvCache(LayerKvCache[] layers, Tensor? nextPositions) => (this.layers, this.nextPositions) = (layers, nextPositions);

    /// <summary>
    /// One cache of the batch rows of <paramref name="parts"/> (each filled by its own prefill, pruned or not), every
    /// layer left-padded to its longest part (<see cref="LayerKvCache.Stack"/>) and every row's next position kept:
    /// requests of different lengths decode together. The parts are copied.
    /// </summary>
    public static KvCache Stack(IReadOnlyList<KvCache> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("nothing to stack", nameof(parts));
        if (parts.Any(p => p.layers.Length != parts[0].layers.Length || p.nextPositions is null))
            throw new ArgumentException("every part needs the same layers and a prefill behind it", nameof(parts));
        var layers = Enumerable.Range(0, parts[0].layers.Length).Select(l => LayerKvCache.Stack(parts.Select(p => p.layers[l]).ToList())).ToArray();
        return new KvCache(layers, cat(parts.Select(p => p.nextPositions!).ToArray(), 0).DetachFromDisposeScope());
    }

    /// <summary>A new cache of the batch rows <paramref name="rows"/> only, their positions kept.</summary>
    public KvCache SelectBatchRows(long[] rows)
    {
        using var scope = NewDisposeScope();
        var next = nextPositions?.index_select(0, tensor(rows, device: nextPositions.device)).DetachFromDisposeScope();
        return new KvCache(layers.Select(l => l.SelectBatchRows(rows)).ToArray(), next);
    }

    /// <summary>The layer caches, index = decoder layer.</summary>
    public IReadOnlyList<LayerKvCache> Layers => layers;

    /// <summary>Bytes of live keys and values over all layers.</summary>
    public long Bytes => layers.Sum(l => l.Bytes);

    /// <summary>[B] int64: the position id the next token of each row gets; null before the first forward.</summary>
    public Tensor? NextPositions => nextPositions;

    /// <summary>Records that the tokens just processed ended at <paramref name="lastPositions"/> [B].</summary>
    public void AdvancePositions(Tensor lastPositions)
    {
        var next = lastPositions.to_type(ScalarType.Int64).Plus(1L).DetachFromDisposeScope();
        nextPositions?.Dispose();
        nextPositions = next;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var layer in layers) layer.Dispose();
        nextPositions?.Dispose();
        nextPositions = null;
    }
}
