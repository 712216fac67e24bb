using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Pruning;

/// <summary>
/// Which tokens survive a stage: the forced ones (first real tokens, most recent real tokens), then the best-scored
/// of the rest. <see cref="Select"/> keeps one count k in every row (padding is ranked below every real token, so it
/// is only kept by a row with fewer than k real tokens); <see cref="SelectPerRow"/> keeps each row's own count, as
/// the pruned prefill does. Kept indices are sorted, so the order of tokens is preserved.
/// </summary>
public static class TokenSelection
{
    /// <summary>
    /// Marks the forced tokens: [B, n] bool, true for real tokens whose original position is among the first
    /// <c>Initial</c> or the last <c>RecentCount(length)</c> of their row.
    /// </summary>
    /// <param name="positions">[B, n] original position ids (real tokens count from 0).</param>
    /// <param name="valid">[B, n] bool, false for padding; null when none.</param>
    /// <param name="lengths">[B] real tokens of each row in the original sequence.</param>
    public static Tensor ForcedMask(Tensor positions, Tensor? valid, long[] lengths, AlwaysKeepTokens alwaysKeep)
    {
        using var scope = NewDisposeScope();
        var recentStart = tensor(lengths.Select(l => l - alwaysKeep.RecentCount((int)l)).ToArray(), device: positions.device).unsqueeze(1);
        var forced = positions.IsBelow(alwaysKeep.Initial).logical_or(positions >= recentStart);
        if (valid is not null) forced = forced.logical_and(valid);
        return forced.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Indices [B, k] (int64, ascending per row) of the tokens to keep.
    /// </summary>
    /// <param name="scores">[B, n] keep scores, higher = more important.</param>
    /// <param name="forced">[B, n] bool from <see cref="ForcedMask"/>.</param>
    /// <param name="valid">[B, n] bool, false for padding; null when none.</param>
    /// <param name="k">Tokens to keep per row; at least the largest forced count of any row.</param>
    public static Tensor Select(Tensor scores, Tensor forced, Tensor? valid, long k)
    {
        long n = scores.shape[1];
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), k, $"must be in [1, {n}]");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (_, top) = Priority(scores, forced, valid).topk((int)k, dim: 1, largest: true, sorted: false);
        var (sorted, _) = top.sort(dim: 1);
        return sorted.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Each row's own selection: row b keeps its forced tokens and its best-scored real tokens, <paramref name="keep"/>[b]
    /// in all, exactly what the row alone would keep. Rows are padded on the left to the largest count: the indices
    /// [B, max keep] list a row's padding slots first (any index; their <see cref="RowSelection.Valid"/> is false), then
    /// its kept tokens in ascending order, so the last slot of every row is its last kept token.
    /// </summary>
    /// <param name="scores">[B, n] keep scores, higher = more important.</param>
    /// <param name="forced">[B, n] bool from <see cref="ForcedMask"/>.</param>
    /// <param name="valid">[B, n] bool, false for padding; null when none.</param>
    /// <param name="keep">Tokens each row keeps, each at least its forced count and at most its real tokens.</param>
    public static RowSelection SelectPerRow(Tensor scores, Tensor forced, Tensor? valid, long[] keep)
    {
        long batch = scores.shape[0], n = scores.shape[1];
        if (keep.Length != batch) throw new ArgumentException($"{keep.Length} keep counts for {batch} rows", nameof(keep));
        if (keep.Any(k => k < 1 || k > n)) throw new ArgumentOutOfRangeException(nameof(keep), $"every count must be in [1, {n}]: {string.Join(", ", keep)}");
        long width = keep.Max();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (_, best) = Priority(scores, forced, valid).topk((int)width, dim: 1, largest: true, sorted: true); // best first
        // Column j of row b is kept when j < keep[b]; the others become -1 and sort to the front as padding slots.
        var rank = TensorMath.Range(0, width, scores.device).unsqueeze(0);
        var counts = tensor(keep, device: scores.device).unsqueeze(1);
        var isKept = rank < counts;
        var (ordered, _) = best.FilledWhere(isKept.logical_not(), -1L).sort(dim: 1);
        var keptValid = ordered.IsAtLeast(0);
        var indices = ordered.AtLeast(0L);
        bool anyPadding = valid is not null || keep.Any(k => k < width);
        return new RowSelection(indices.MoveToOuterDisposeScope(), anyPadding ? keptValid.MoveToOuterDisposeScope() : null);
    }

    // Three tiers, by construction never mixed: forced (+inf), real tokens by score, padding (-inf).
    private static Tensor Priority(Tensor scores, Tensor forced, Tensor? valid)
    {
        var priority = scores.detach().to_type(ScalarType.Float32).FilledWhere(forced, double.PositiveInfinity);
        return valid is null ? priority : priority.FilledWhere(valid.logical_not(), double.NegativeInfinity);
    }

    /// <summary>Gathers rows <paramref name="indices"/> [B, k] along dim 1 of <paramref name="x"/> [B, n, ...].</summary>
    public static Tensor Gather(Tensor x, Tensor indices)
    {
        using var scope = NewDisposeScope();
        var index = indices;
        if (x.dim() == 3) index = indices.unsqueeze(-1).expand(indices.shape[0], indices.shape[1], x.shape[2]);
        else if (x.dim() != 2) throw new ArgumentException($"expected a [B, n] or [B, n, d] tensor, got {x.dim()} dimensions", nameof(x));
        return x.gather(1, index).MoveToOuterDisposeScope();
    }
}

/// <summary>The kept slots of a per-row selection: indices [B, k] and their validity [B, k] (null when every slot is a kept token).</summary>
public sealed record RowSelection(Tensor Indices, Tensor? Valid) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        Indices.Dispose();
        Valid?.Dispose();
    }
}
