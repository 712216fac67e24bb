using static TorchSharp.torch;

namespace Sdtp.Modeling;

/// <summary>Position ids for left-padded batches and for tokens that continue a cache.</summary>
public static class PositionIds
{
    /// <summary>
    /// [B, T] positions counting real tokens only: a left-padded row's first real token gets 0 and padding gets 0.
    /// </summary>
    public static Tensor FromAttentionMask(Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var counts = attentionMask.to_type(ScalarType.Int64).cumsum(1).Plus(-1L);
        return counts.AtLeast(0L).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Positions for <paramref name="tokens"/> new tokens: following <paramref name="next"/> [B] when a cache
    /// has them, else from the validity mask, else 0..T-1.
    /// </summary>
    public static Tensor Continue(Tensor? next, Tensor? valid, long batch, long tokens, Device device)
    {
        using var scope = NewDisposeScope();
        Tensor positions;
        if (next is not null)
        {
            var offsets = valid is null
                ? TensorMath.Range(0, tokens, device).unsqueeze(0)
                : FromAttentionMask(valid);
            positions = next.unsqueeze(1).Plus(offsets);
        }
        else
        {
            positions = valid is null
                ? TensorMath.Range(0, tokens, device).unsqueeze(0).expand(batch, tokens)
                : FromAttentionMask(valid);
        }
        return positions.MoveToOuterDisposeScope();
    }
}
