namespace Sdtp.Serving;

/// <summary>
/// Cuts streamed text at the first stop sequence, without ever releasing part of one: text that could still be the
/// start of a stop sequence is held until the next chunk shows whether it is.
/// </summary>
internal sealed class StopSequenceFilter(IReadOnlyList<string> stops)
{
    private readonly string[] stops = stops.Where(s => s.Length > 0).ToArray();
    private string pending = "";

    /// <summary>Whether a stop sequence has been seen: nothing more will be released.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds <paramref name="chunk"/> and returns the text that is now safe to release.</summary>
    public string Push(string chunk)
    {
        if (Stopped) return "";
        pending += chunk;
        int cut = stops.Select(s => pending.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
        if (cut >= 0)
        {
            Stopped = true;
            var before = pending[..cut];
            pending = "";
            return before;
        }
        int hold = stops.Select(HeldFor).DefaultIfEmpty(0).Max();
        var release = pending[..^hold];
        pending = pending[^hold..];
        return release;
    }

    /// <summary>What is held at the end of generation (a partial stop sequence that never completed).</summary>
    public string Flush()
    {
        var rest = Stopped ? "" : pending;
        pending = "";
        return rest;
    }

    // The longest end of the pending text that is a proper start of stop.
    private int HeldFor(string stop)
    {
        for (int n = Math.Min(stop.Length - 1, pending.Length); n > 0; n--)
            if (pending.AsSpan(pending.Length - n).SequenceEqual(stop.AsSpan(0, n))) return n;
        return 0;
    }
}
