using static TorchSharp.torch;

namespace Sdtp.Pruning;

/// <summary>
/// Which tokens survive a stage: the forced ones (first real tokens, most recent real tokens), then the best-scored
/// of the rest, up to the same count k in every batch row. Padding is ranked below every real token, so it is only
/// kept by a row with fewer than k real tokens. Kept indices are sorted, so the order of tokens is preserved.
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
        var forced = (positions < alwaysKeep.Initial).logical_or(positions >= recentStart);
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
        // Three tiers, by construction never mixed: forced (+inf), real tokens by score, padding (-inf).
        var priority = scores.detach().to_type(ScalarType.Float32).masked_fill(forced, float.PositiveInfinity);
        if (valid is not null) priority = priority.masked_fill(valid.logical_not(), float.NegativeInfinity);
        var (_, top) = priority.topk((int)k, dim: 1, largest: true, sorted: false);
        var (sorted, _) = top.sort(dim: 1);
        return sorted.MoveToOuterDisposeScope();
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
