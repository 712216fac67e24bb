using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Pruning;

/// <summary>
/// StreamingLLM's policy with a fixed budget: each layer keeps its first <see cref="Sinks"/> rows (attention sinks)
/// and its most recent rows, at most <see cref="Budget"/> in all. After an SDTP prefill the rows a layer holds are
/// already the survivors of its stages, so the two compose: SDTP cuts prefill work, this caps decode memory.
/// </summary>
public sealed class SinkWindowEviction : IKvCacheEviction
{
    /// <summary>A policy keeping <paramref name="sinks"/> sinks and the newest rows up to <paramref name="budget"/> per layer.</summary>
    public SinkWindowEviction(int budget, int sinks = DefaultSinks)
    {
        if (sinks < 0) throw new ArgumentOutOfRangeException(nameof(sinks), sinks, "must be >= 0");
        if (budget <= sinks) throw new ArgumentOutOfRangeException(nameof(budget), budget, $"must exceed the {sinks} sink rows");
        Budget = budget;
        Sinks = sinks;
    }

    /// <summary>Sinks kept when none are given (StreamingLLM's four).</summary>
    public const int DefaultSinks = 4;

    /// <summary>Most rows a layer keeps.</summary>
    public int Budget { get; }

    /// <summary>Leading rows always kept.</summary>
    public int Sinks { get; }

    /// <inheritdoc/>
    public void Apply(KvCache cache)
    {
        foreach (var layer in cache.Layers)
        {
            if (layer.Length <= Budget) continue;
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
