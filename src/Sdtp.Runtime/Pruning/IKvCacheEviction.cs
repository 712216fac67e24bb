using Sdtp.Modeling;

namespace Sdtp.Pruning;

/// <summary>
/// A decode-time KV-cache compression policy: after prefill and after every decode step it may drop cached rows of
/// any layer. Orthogonal to SDTP, which shortens the prefill itself: the paper combines the two.
/// </summary>
public interface IKvCacheEviction
{
    /// <summary>Drops rows of <paramref name="cache"/> as the policy sees fit.</summary>
    void Apply(KvCache cache);
}
