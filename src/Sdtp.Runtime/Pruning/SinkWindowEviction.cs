using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Pruning;

/// <summary>
/// StreamingLLM's policy with a fixed budget: each layer keeps its first <see cref="Sinks"/> rows (attention sinks)
/// and its most recent rows, <see cref="Budget"/> in all. After an SDTP prefill the rows a layer holds are already the
/// survivors of its stages, so the two compose: SDTP cuts prefill work, this caps decode memory.
/// <para>
/// (Why the block) Trimming copies every row a layer keeps. Done after every token it made decode with eviction slower
/// than without; so a layer is trimmed back to <see cref="Budget"/> only when it holds more than
/// <see cref="Budget"/> + <see cref="Block"/> rows, once every <see cref="Block"/> tokens, and never holds more.
/// </para>
/// </summary>
public sealed class SinkWindowEviction : IKvCacheEviction
{
    /// <summary>
    /// A policy keeping <paramref name="sinks"/> sinks and the newest rows up to <paramref name="budget"/> per layer,
    /// trimming when a layer exceeds the budget by more than <paramref name="block"/> rows (default
    /// <see cref="DefaultBlock"/>; 0 trims after every token).
    /// </summary>
    public SinkWindowEviction(int budget, int sinks = DefaultSinks, int? block = null)
    {
        if (sinks < 0) throw new ArgumentOutOfRangeException(nameof(sinks), sinks, "must be >= 0");
        if (budget <= sinks) throw new ArgumentOutOfRangeException(nameof(budget), budget, $"must exceed the {sinks} sink rows");
        if (block < 0) throw new ArgumentOutOfRangeException(nameof(block), block, "must be >= 0");
        Budget = budget;
        Sinks = sinks;
        Block = block ?? DefaultBlock(budget);
    }

    /// <summary>Sinks kept when none are given (StreamingLLM's four).</summary>
    public const int DefaultSinks = 4;

    /// <summary>The block when none is given: an eighth of the budget, at least one row.</summary>
    public static int DefaultBlock(int budget) => Math.Max(1, budget / 8);

    /// <summary>Rows a layer is trimmed back to.</summary>
    public int Budget { get; }

    /// <summary>Leading rows always kept.</summary>
    public int Sinks { get; }

    /// <summary>Rows a layer may hold beyond <see cref="Budget"/> before it is trimmed.</summary>
    public int Block { get; }

    /// <summary>The most rows a layer ever holds: <see cref="Budget"/> + <see cref="Block"/>.</summary>
    public int MaxRows => Budget + Block;

    /// <inheritdoc/>
    public void Apply(KvCache cache)
    {
        foreach (var layer in cache.Layers)
        {
            if (layer.Length <= MaxRows) continue;
            long window = Budget - Sinks;
            var rows = Enumerable.Range(0, Sinks).Select(i => (long)i)
                .Concat(Enumerable.Range(0, (int)window).Select(i => layer.Length - window + i)).ToArray();
            using var scope = NewDisposeScope();
            var batch = layer.Keys.shape[0];
            var indices = tensor(rows, device: layer.Keys.device).unsqueeze(0).expand(batch, rows.Length);
            layer.KeepRows(indices);
        }
    }
}
