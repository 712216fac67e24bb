namespace Sdtp.Evaluation.BaseTraining;

/// <summary>The items of a tokenized list answer (" 4821, 7730, 1185"): where each starts and how long it is.</summary>
public static class AnswerItems
{
    /// <summary>
    /// (start, length) of each item of <paramref name="answer"/> between <paramref name="separator"/>s; the first one's
    /// leading spaces (the separator's last token) are not part of it.
    /// </summary>
    public static IReadOnlyList<(int Start, int Length)> Spans(IReadOnlyList<int> answer, IReadOnlyList<int> separator)
    {
        var items = new List<(int, int)>();
        int start = 0;
        while (start < answer.Count && separator.Count > 0 && answer[start] == separator[^1]) start++;
        for (int i = start; i <= answer.Count; i++)
        {
            bool atSeparator = i + separator.Count <= answer.Count && separator.Count > 0 && Enumerable.Range(0, separator.Count).All(s => answer[i + s] == separator[s]);
            if (i < answer.Count && !atSeparator) continue;
            if (i > start) items.Add((start, i - start));
            if (i == answer.Count) break;
            start = i + separator.Count;
            i = start - 1;
        }
        return items;
    }
}
