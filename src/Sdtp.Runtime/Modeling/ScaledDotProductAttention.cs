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
    /// [B, H, Tk, D], where the queries are the LAST Tq of the Tk key positions.
    /// </summary>
    /// <param name="keyValid">[B, Tk] bool, false for padding keys; null when every key is real.</param>
    /// <param name="additiveBias">Optional bias added to the scores, broadcastable to [B, H, Tq, Tk] (soft pruning masks).</param>
    public static Tensor Attend(Tensor query, Tensor key, Tensor value, Tensor? keyValid = null, Tensor? additiveBias = null)
    {
        using var scope = NewDisposeScope();
        long tq = query.shape[2], tk = key.shape[2];
        if (tq > tk)
            throw new ArgumentException($"attention got {tq} queries but only {tk} keys; queries must be the last keys");
        Tensor result;
        if (keyValid is null && additiveBias is null)
        {
            result = tq == tk
                ? nn.functional.scaled_dot_product_attention(query, key, value, is_casual: true)
                : tq == 1
                    ? nn.functional.scaled_dot_product_attention(query, key, value) // one new token sees every key
                    : nn.functional.scaled_dot_product_attention(query, key, value, BuildMask(null, null, tq, tk, query.dtype, query.device));
        }
        else
        {
            result = nn.functional.scaled_dot_product_attention(query, key, value,
                BuildMask(keyValid, additiveBias, tq, tk, query.dtype, query.device));
        }
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Additive mask [B or 1, 1, Tq, Tk]: 0 where query i may see key j (j at or before i's own position and not
    /// padding), the dtype's lowest finite value elsewhere. The finite value keeps a row of padding queries
    /// (all keys hidden) a uniform softmax instead of NaN.
    /// </summary>
    public static Tensor BuildMask(Tensor? keyValid, Tensor? additiveBias, long tq, long tk, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        var queryPosition = arange(tk - tq, tk, device: device).unsqueeze(1);
        var keyPosition = arange(tk, device: device).unsqueeze(0);
        var allowed = (keyPosition <= queryPosition).unsqueeze(0).unsqueeze(0);          // [1, 1, Tq, Tk]
        if (keyValid is not null)
            allowed = allowed.logical_and(keyValid.to_type(ScalarType.Bool).unsqueeze(1).unsqueeze(1)); // [B, 1, Tq, Tk]
        var lowest = finfo(dtype).min;
        var mask = where(allowed, zeros(1, dtype: dtype, device: device), full(1, lowest, dtype: dtype, device: device));
        if (additiveBias is not null)
            mask = (mask + additiveBias.to_type(dtype)).clamp_min(lowest);
        return mask.MoveToOuterDisposeScope();
    }
}
