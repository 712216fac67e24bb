using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Training;

/// <summary>The loss terms of head training, each for one stage unless stated.</summary>
public static class SdtpLosses
{
    /// <summary>
    /// Pairwise ranking loss, mean over pairs i &lt; j of real tokens whose saliency differs:
    /// <c>log(1 + exp(-(s_i - s_j) * sign(sal_i - sal_j)))</c>. It asks only that the scores order tokens the way
    /// saliency does, which is all top-k needs. Above <paramref name="pairLimit"/> pairs per row, that many pairs are
    /// sampled (with <paramref name="generator"/>) instead of forming all n^2. (Choice) A pair counts only when at least
    /// one of its tokens is important, saliency at or above <paramref name="minSaliency"/> (the paper's 10% of the
    /// maximum): the order of two unimportant tokens is noise, and on the demo model those pairs drowned the signal.
    /// </summary>
    /// <param name="scores">[B, n] head scores.</param>
    /// <param name="saliency">[B, n] saliency targets.</param>
    /// <param name="valid">[B, n] bool; null when every token is real.</param>
    public static Tensor Ranking(Tensor scores, Tensor saliency, Tensor? valid, int pairLimit = 16384, Generator? generator = null, double minSaliency = 0)
    {
        using var scope = NewDisposeScope();
        long n = scores.shape[1];
        long allPairs = n * (n - 1) / 2;
        Tensor loss;
        if (allPairs <= pairLimit)
        {
            var scoreDiff = scores.unsqueeze(2).Minus(scores.unsqueeze(1));           // [B, n, n]: s_i - s_j
            var order = saliency.unsqueeze(2).Minus(saliency.unsqueeze(1)).sign();     // sign(sal_i - sal_j)
            var pairMask = ones(n, n, dtype: ScalarType.Bool, device: scores.device).triu(1).unsqueeze(0);
            if (valid is not null) pairMask = pairMask.logical_and(valid.unsqueeze(2).logical_and(valid.unsqueeze(1)));
            pairMask = pairMask.logical_and(order.IsNot(0));
            if (minSaliency > 0)
                pairMask = pairMask.logical_and(saliency.unsqueeze(2).maximum(saliency.unsqueeze(1)).IsAtLeast(minSaliency));
            loss = MeanOver((-scoreDiff * order).softplus(), pairMask);
        }
        else
        {
            var i = randint(0, n, [scores.shape[0], pairLimit], generator: generator, dtype: ScalarType.Int64).to(scores.device);
            var j = randint(0, n, [scores.shape[0], pairLimit], generator: generator, dtype: ScalarType.Int64).to(scores.device);
            var order = saliency.gather(1, i).Minus(saliency.gather(1, j)).sign();
            var pairMask = i.ne(j).logical_and(order.IsNot(0));
            if (minSaliency > 0)
                pairMask = pairMask.logical_and(saliency.gather(1, i).maximum(saliency.gather(1, j)).IsAtLeast(minSaliency));
            if (valid is not null) pairMask = pairMask.logical_and(valid.gather(1, i)).logical_and(valid.gather(1, j));
            loss = MeanOver((-scores.gather(1, i).Minus(scores.gather(1, j)) * order).softplus(), pairMask);
        }
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Mean squared error between P(keep) = sigmoid(score) and the normalised saliency, over real tokens.</summary>
    public static Tensor Mse(Tensor scores, Tensor saliency, Tensor? valid)
    {
        using var scope = NewDisposeScope();
        var squared = scores.sigmoid().Minus(saliency).Squared();
        var mask = valid ?? ones_like(squared, dtype: ScalarType.Bool);
        return MeanOver(squared, mask).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Keep-budget penalty (DynamicViT's ratio loss): (mean over real tokens of the cumulative keep mask - the
    /// schedule's cumulative keep ratio)^2, so soft pruning in training drops about as much as inference will.
    /// </summary>
    public static Tensor Budget(Tensor cumulativeKeep, Tensor? valid, double targetRatio)
    {
        using var scope = NewDisposeScope();
        var mask = valid ?? ones_like(cumulativeKeep, dtype: ScalarType.Bool);
        return MeanOver(cumulativeKeep, mask).Plus(-targetRatio).Squared().MoveToOuterDisposeScope();
    }

    /// <summary>Next-token cross-entropy averaged over target tokens (logits [B, T, V], targets [B, T] bool).</summary>
    public static Tensor LanguageModel(Tensor logits, Tensor inputIds, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var count = targets.narrow(1, 1, targets.shape[1] - 1).to_type(ScalarType.Float32).sum().AtLeast(1.0);
        var total = SaliencyMarker.TargetLogLikelihood(logits, inputIds, targets);
        return (-total / count).MoveToOuterDisposeScope();
    }

    private static Tensor MeanOver(Tensor values, Tensor mask)
    {
        var weights = mask.to_type(values.dtype);
        return (values * weights).sum() / weights.sum().AtLeast(1.0);
    }
}
