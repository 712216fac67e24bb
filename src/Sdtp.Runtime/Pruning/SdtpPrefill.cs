using Sdtp.Generation;

namespace Sdtp.Pruning;

/// <summary>Plugs pruned prefill into <see cref="TextGenerator"/>.</summary>
public static class SdtpPrefill
{
    /// <summary>A <see cref="Prefill"/> that prunes per <paramref name="schedule"/> with <paramref name="scorer"/>; <paramref name="onReport"/> sees each prefill's report.</summary>
    public static Prefill For(PruningSchedule schedule, ITokenScorer scorer, PrefillOptions? options = null, Action<PruningReport>? onReport = null) =>
        (model, ids, cache) =>
        {
            var result = PrunedPrefill.Run(model, schedule, scorer, ids, cache: cache, options: options);
            onReport?.Invoke(result.Report);
            return result.LastLogits;
        };
}
