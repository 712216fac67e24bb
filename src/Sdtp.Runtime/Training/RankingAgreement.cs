namespace Sdtp.Training;

/// <summary>How well head scores order tokens the way saliency does: what top-k selection depends on.</summary>
public static class RankingAgreement
{
    /// <summary>Share of token pairs with different saliency that the scores order the same way (0.5 = chance).</summary>
    public static double PairwiseAccuracy(IReadOnlyList<float> scores, IReadOnlyList<float> saliency)
    {
        long agree = 0, total = 0;
        for (int i = 0; i < scores.Count; i++)
            for (int j = i + 1; j < scores.Count; j++)
            {
                int truth = Math.Sign(saliency[i] - saliency[j]);
                if (truth == 0) continue;
                total++;
                if (Math.Sign(scores[i] - scores[j]) == truth) agree++;
            }
        return total == 0 ? double.NaN : (double)agree / total;
    }

    /// <summary>Spearman rank correlation (average ranks for ties).</summary>
    public static double Spearman(IReadOnlyList<float> scores, IReadOnlyList<float> saliency)
    {
        var a = Ranks(scores);
        var b = Ranks(saliency);
        double meanA = a.Average(), meanB = b.Average(), cov = 0, varA = 0, varB = 0;
        for (int i = 0; i < a.Length; i++)
        {
            cov += (a[i] - meanA) * (b[i] - meanB);
            varA += (a[i] - meanA) * (a[i] - meanA);
            varB += (b[i] - meanB) * (b[i] - meanB);
        }
        return varA == 0 || varB == 0 ? double.NaN : cov / Math.Sqrt(varA * varB);
    }

    private static double[] Ranks(IReadOnlyList<float> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            double average = (start + end) / 2.0;
            for (int k = start; k <= end; k++) ranks[order[k]] = average;
            start = end + 1;
        }
        return ranks;
    }
}
