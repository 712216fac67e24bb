using System.Text;

namespace Sdtp.Evaluation.Tasks;

/// <summary>Lays needles into a haystack at chosen depths and pads to the target length.</summary>
internal static class HaystackBuilder
{
    /// <summary>
    /// intro + grammar filler (<see cref="FillerText"/>, a new cast) with each needle inserted at the sentence boundary
    /// nearest its depth of the whole prompt + question; the filler is sized so the whole prompt is about
    /// <paramref name="length"/> characters. Returns the prompt and each needle's offset. The template tasks' layout.
    /// </summary>
    public static (string Prompt, List<int> Offsets) Build(string intro, IReadOnlyList<(double Depth, string Needle)> needles,
        string question, int length, Random random)
    {
        var sentences = Fill(FillerText.Sentences(random), FillerBudget(intro, needles, question, length), skipTooLong: false);
        return Lay(intro, needles, sentences, question, length);
    }

    /// <summary>
    /// Like <see cref="Build"/>, with sentences from <paramref name="nextSentence"/> and depths measured over the context
    /// (everything before the question), as RULER does, so a depth of 0.95 is near the question, not inside it. A piece
    /// too long for what is left of the budget is skipped, so prose of uneven sentences still fills to the length.
    /// </summary>
    public static (string Prompt, List<int> Offsets) BuildInContext(string intro, IReadOnlyList<(double Depth, string Needle)> needles,
        string question, int length, Func<string> nextSentence)
    {
        var sentences = Fill(nextSentence, FillerBudget(intro, needles, question, length), skipTooLong: true);
        return Lay(intro, needles, sentences, question, Math.Max(1, length - question.Length - 1));
    }

    private static int FillerBudget(string intro, IReadOnlyList<(double Depth, string Needle)> needles, string question, int length) =>
        Math.Max(0, length - (intro.Length + question.Length + needles.Sum(n => n.Needle.Length + 1) + 1));

    private static List<string> Fill(Func<string> nextSentence, int budget, bool skipTooLong)
    {
        var sentences = new List<string>();
        int used = 0, skipped = 0;
        while (used < budget)
        {
            var s = nextSentence();
            if (used + s.Length + 1 > budget && sentences.Count > 0)
            {
                if (!skipTooLong || ++skipped > 50) break;
                continue;
            }
            sentences.Add(s);
            used += s.Length + 1;
        }
        return sentences;
    }

    /// <summary>A needle goes in at the first sentence boundary where its middle would reach depth x <paramref name="depthScale"/>.</summary>
    private static (string Prompt, List<int> Offsets) Lay(string intro, IReadOnlyList<(double Depth, string Needle)> needles,
        List<string> sentences, string question, int depthScale)
    {
        var ordered = needles.Select((n, i) => (n.Depth, n.Needle, Index: i)).OrderBy(n => n.Depth).ThenBy(n => n.Index).ToList();
        var prompt = new StringBuilder(intro);
        var offsets = new int[needles.Count];
        int next = 0;
        for (int s = 0; s <= sentences.Count; s++)
        {
            while (next < ordered.Count && (s == sentences.Count || prompt.Length + ordered[next].Needle.Length / 2 >= ordered[next].Depth * depthScale))
            {
                prompt.Append(' ');
                offsets[ordered[next].Index] = prompt.Length;
                prompt.Append(ordered[next].Needle);
                next++;
            }
            if (s < sentences.Count) prompt.Append(' ').Append(sentences[s]);
        }
        prompt.Append(' ').Append(question);
        return (prompt.ToString(), offsets.ToList());
    }
}
