using static TorchSharp.torch;

namespace Sdtp.Modeling;

/// <summary>
/// The one place that calls libtorch's fused attention. It decides between the causal flag and an explicit mask:
/// the flag is only right when queries and keys are the same tokens; with a cache (fewer queries than keys) the
/// flag would align the first query with the first key, so an offset causal mask is built instead.
/// </summary>
public static class ScaledDotProductAttention
{
    /// <summary>
    /// Attention of <paramref name="query"/> [B, H, Tq, D] over <paramref name="key"/>/<paramref name="value"/>
    /// [B, KVH, Tk, D], where the queries are the LAST Tq of the Tk key positions. With fewer key/value heads than query
    /// heads (grouped-query attention, H a multiple of KVH), one new token (decode) attends through a view that groups
    /// its query heads by key/value head, so the cache is never copied; a block of queries repeats the key/value heads.
    /// </summary>
    /// <param name="keyValid">[B, Tk] bool, false for padding keys; null when every key is real.</param>
    /// <param name="keyKeep">Soft pruning: [B, Tk] keep mask in [0, 1] (see <see cref="AttendWithKeepMask"/>); null for none.</param>
    public static Tensor Attend(Tensor query, Tensor key, Tensor value, Tensor? keyValid = null, Tensor? keyKeep = null)
    {
        long heads = query.shape[1], kvHeads = key.shape[1];
        if (kvHeads != heads)
        {
            if (heads % kvHeads != 0) throw new ArgumentException($"{heads} query heads cannot share {kvHeads} key/value heads");
            using var groupScope = NewDisposeScope();
            if (query.shape[2] == 1 && keyKeep is null)
            {
                // [B, H, 1, D] -> [B, KVH, G, D]: the G query heads of a key/value head become its G queries. With one
                // position there is no causal order among them, and padding masks broadcast over them.
                long b = query.shape[0], d = query.shape[3], group = heads / kvHeads;
                var grouped = Attend(query.reshape(b, kvHeads, group, d), key, value, keyValid, null, allSeeEveryKey: true);
                return grouped.reshape(b, heads, 1, d).MoveToOuterDisposeScope();
            }
            key = key.repeat_interleave(heads / kvHeads, dim: 1);
            value = value.repeat_interleave(heads / kvHeads, dim: 1);
            return Attend(query, key, value, keyValid, keyKeep).MoveToOuterDisposeScope();
        }
        return Attend(query, key, value, keyValid, keyKeep, allSeeEveryKey: false);
    }

    // allSeeEveryKey: the queries are the groups of one position's heads, which all sit after every key.
    private static Tensor Attend(Tensor query, Tensor key, Tensor value, Tensor? keyValid, Tensor? keyKeep, bool allSeeEveryKey)
    {
        if (keyKeep is not null) return AttendWithKeepMask(query, key, value, keyValid, keyKeep);
        using var scope = NewDisposeScope();
        long tq = allSeeEveryKey ? 1 : query.shape[2], tk = key.shape[2];
        if (tq > tk)
            throw new ArgumentException($"attention got {tq} queries but only {tk} keys; queries must be the last keys");
        Tensor result;
        if (keyValid is null)
        {
            result = tq == tk
                ? nn.functional.scaled_dot_product_attention(query, key, value, is_casual: true)
                : tq == 1
                    ? nn.functional.scaled_dot_product_attention(query, key, value) // one new token sees every key
                    : nn.functional.scaled_dot_product_attention(query, key, value, BuildMask(null, tq, tk, query.dtype, query.device));
        }
        else
        {
            result = nn.functional.scaled_dot_product_attention(query, key, value,
                BuildMask(keyValid, tq, tk, query.dtype, query.device));
        }
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Additive mask [B or 1, 1, Tq, Tk]: 0 where query i may see key j (j at or before i's own position and not
    /// padding), the dtype's lowest finite value elsewhere. The finite value keeps a row of padding queries
    /// (all keys hidden) a uniform softmax instead of NaN.
    /// </summary>
    public static Tensor BuildMask(Tensor? keyValid, long tq, long tk, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        var queryPosition = TensorMath.Range(tk - tq, tk, device).unsqueeze(1);
        var keyPosition = TensorMath.Range(0, tk, device).unsqueeze(0);
        var allowed = (keyPosition <= queryPosition).unsqueeze(0).unsqueeze(0);          // [1, 1, Tq, Tk]
        if (keyValid is not null)
            allowed = allowed.logical_and(keyValid.to_type(ScalarType.Bool).unsqueeze(1).unsqueeze(1)); // [B, 1, Tq, Tk]
        var lowest = finfo(dtype).min;
        var mask = where(allowed, zeros(1, dtype: dtype, device: device), TensorMath.Filled([1], lowest, dtype, device));
        return mask.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Attention under a soft keep mask m on keys, as DynamicViT trains token pruning: the additive bias log(m_j) on
    /// every score, computed in its multiplicative form <c>w_ij = exp(s_ij) m_j / sum_k exp(s_ik) m_k</c> so that the
    /// gradient reaching a dropped key (m_j = 0) stays finite. A query always sees itself (m = 1 on the diagonal), so no
    /// row is empty. Queries and keys must be the same tokens (training runs without a cache).
    /// </summary>
    public static Tensor AttendWithKeepMask(Tensor query, Tensor key, Tensor value, Tensor? keyValid, Tensor keyKeep)
    {
        using var scope = NewDisposeScope();
        long t = query.shape[2];
        if (key.shape[2] != t)
            throw new ArgumentException($"a keep mask needs queries and keys of the same tokens, got {t} and {key.shape[2]}");
        var scores = query.matmul(key.transpose(-2, -1)).DividedBy(Math.Sqrt(query.shape[^1]));
        scores = scores.Plus(BuildMask(keyValid, t, t, scores.dtype, scores.device));
        var diagonal = eye(t, dtype: scores.dtype, device: scores.device);
        var policy = keyKeep.to_type(scores.dtype).unsqueeze(1).unsqueeze(1);          // [B, 1, 1, T]
        policy = (policy * diagonal.SubtractedFrom(1)).Plus(diagonal);                      // [B, 1, T, T]
        var stable = scores.Minus(scores.amax([-1], keepdim: true).detach());
        var weights = stable.exp() * policy;
        weights = weights / weights.sum(-1, keepdim: true);
        return weights.matmul(value).MoveToOuterDisposeScope();
    }
}
