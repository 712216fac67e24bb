using System.Text;

namespace Sdtp.Evaluation.Tasks;

/// <summary>Lays needles into filler text at chosen depths and pads to the target length.</summary>
internal static class HaystackBuilder
{
    /// <summary>
    /// intro + filler with each needle inserted at the sentence boundary nearest its depth of the whole prompt + question; the filler is sized so
    /// the whole prompt is about <paramref name="length"/> characters. Returns the prompt and each needle's offset.
    /// </summary>
    public static (string Prompt, List<int> Offsets) Build(string intro, IReadOnlyList<(double Depth, string Needle)> needles,
        string question, int length, Random random)
    {
        var cast = FillerText.NewCast(random);
        int fixedChars = intro.Length + question.Length + needles.Sum(n => n.Needle.Length + 1) + 1;
        int fillerBudget = Math.Max(0, length - fixedChars);
        var sentences = new List<string>();
        int used = 0;
        while (used < fillerBudget)
        {
            var s = FillerText.Sentence(cast, random);
            if (used + s.Length + 1 > fillerBudget && sentences.Count > 0) break;
            sentences.Add(s);
            used += s.Length + 1;
        }
        var ordered = needles.Select((n, i) => (n.Depth, n.Needle, Index: i)).OrderBy(n => n.Depth).ThenBy(n => n.Index).ToList();
        var prompt = new StringBuilder(intro);
        var offsets = new int[needles.Count];
        int next = 0;
        // A needle goes in at the first sentence boundary where its middle would reach depth x length.
        for (int s = 0; s <= sentences.Count; s++)
        {
            while (next < ordered.Count && (s == sentences.Count || prompt.Length + ordered[next].Needle.Length / 2 >= ordered[next].Depth * length))
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
