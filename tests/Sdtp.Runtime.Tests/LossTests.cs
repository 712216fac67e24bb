using Sdtp.Modeling;
using Sdtp.Training;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

public class LossTests
{
    [Fact]
    public void Vectorised_ranking_loss_equals_a_naive_double_loop()
    {
        manual_seed(7);
        using var scores = randn(2, 9);
        using var saliency = tensor(new float[] { 0.1f, 0.5f, 0.5f, 0.9f, 0, 0.3f, 0.3f, 1, 0.2f, 1, 0, 0.4f, 0.4f, 0.6f, 0.2f, 0.8f, 0.1f, 0.7f }).view(2, 9);
        using var valid = tensor(Enumerable.Range(0, 18).Select(i => i != 9 && i != 10).ToArray()).view(2, 9); // two pads in row 1
        using var vectorised = SdtpLosses.Ranking(scores, saliency, valid);

        var s = scores.data<float>().ToArray();
        var sal = saliency.data<float>().ToArray();
        var v = valid.data<bool>().ToArray();
        double sum = 0;
        int pairs = 0;
        for (int b = 0; b < 2; b++)
            for (int i = 0; i < 9; i++)
                for (int j = i + 1; j < 9; j++)
                {
                    int a = b * 9 + i, c = b * 9 + j;
                    double sign = Math.Sign(sal[a] - sal[c]);
                    if (!v[a] || !v[c] || sign == 0) continue;
                    sum += Math.Log(1 + Math.Exp(-(s[a] - s[c]) * sign));
                    pairs++;
                }
        Assert.Equal(sum / pairs, vectorised.item<float>(), 5);
    }

    [Fact]
    public void Ranking_ignores_pairs_of_two_unimportant_tokens()
    {
        using var scores = tensor(new float[] { 0, 5, -5, 1 }).unsqueeze(0);
        using var saliency = tensor(new float[] { 0.05f, 0.02f, 1f, 0.08f }).unsqueeze(0);
        // With threshold 0.1 only pairs involving token 2 count: (0,2), (1,2), (2,3); the badly ordered (0,1) does not.
        using var loss = SdtpLosses.Ranking(scores, saliency, null, minSaliency: 0.1);
        double expected = (Math.Log(1 + Math.Exp(-(0 - -5) * -1)) + Math.Log(1 + Math.Exp(-(5 - -5) * -1)) + Math.Log(1 + Math.Exp(-(-5 - 1) * 1))) / 3;
        Assert.Equal(expected, loss.item<float>(), 4);
    }

    [Fact]
    public void Sampled_pairs_estimate_the_full_ranking_loss()
    {
        manual_seed(8);
        using var scores = randn(1, 400);
        using var saliency = rand(1, 400);
        using var full = SdtpLosses.Ranking(scores, saliency, null, pairLimit: 1_000_000);
        using var generator = new Generator(5, CPU);
        using var sampled = SdtpLosses.Ranking(scores, saliency, null, pairLimit: 20_000, generator: generator);
        Assert.Equal(full.item<float>(), sampled.item<float>(), 1); // 20k of 79,800 pairs: within 0.05
    }

    [Fact]
    public void Mse_budget_and_lm_losses_match_hand_computed_values()
    {
        using var scores = tensor(new float[] { 0, 2 }).unsqueeze(0);
        using var saliency = tensor(new float[] { 1, 0 }).unsqueeze(0);
        double p1 = 1 / (1 + Math.Exp(-2));
        Assert.Equal(((0.5 - 1) * (0.5 - 1) + p1 * p1) / 2, SdtpLosses.Mse(scores, saliency, null).item<float>(), 6);

        using var keep = tensor(new float[] { 1, 0, 1, 1 }).unsqueeze(0);
        Assert.Equal((0.75 - 0.5) * (0.75 - 0.5), SdtpLosses.Budget(keep, null, 0.5).item<float>(), 6);

        // Vocabulary 3, sequence [0, 2, 1]; targets: the last token. Loss = -log softmax(logits at position 1)[1].
        using var logits = tensor(new float[] { 0, 0, 0, 1, 2, 3, 5, 5, 5 }).view(1, 3, 3);
        using var ids = tensor(new long[] { 0, 2, 1 }).unsqueeze(0);
        using var targets = tensor(new[] { false, false, true }).unsqueeze(0);
        double expected = -Math.Log(Math.Exp(2) / (Math.Exp(1) + Math.Exp(2) + Math.Exp(3)));
        Assert.Equal(expected, SdtpLosses.LanguageModel(logits, ids, targets).item<float>(), 5);
    }

    [Fact]
    public void Gumbel_keep_is_hard_in_the_forward_and_differentiable_in_the_backward()
    {
        using var logits = randn(1, 16, 2).requires_grad_(true);
        using var g1 = new Generator(3, CPU);
        using var g2 = new Generator(3, CPU);
        using var keep = GumbelKeep.Sample(logits, 0.5, g1);
        Assert.All(keep.data<float>().ToArray(), v => Assert.True(v is 0f or 1f));
        Assert.True(keep.equal(GumbelKeep.Sample(logits, 0.5, g2)).all().item<bool>()); // seeded
        keep.sum().backward();
        Assert.True(logits.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Keep_mask_attention_equals_attention_without_the_dropped_keys()
    {
        manual_seed(9);
        using var q = randn(1, 2, 6, 8);
        using var k = randn(1, 2, 6, 8);
        using var v = randn(1, 2, 6, 8);
        using var allKept = ScaledDotProductAttention.Attend(q, k, v, keyKeep: ones(1, 6));
        Assert.True(allKept.allclose(ScaledDotProductAttention.Attend(q, k, v), rtol: 1e-5, atol: 1e-6));

        // Dropping key 2: every later query (except 2 itself) must equal attention over the other keys only.
        using var keep = tensor(new float[] { 1, 1, 0, 1, 1, 1 }).unsqueeze(0);
        using var masked = ScaledDotProductAttention.Attend(q, k, v, keyKeep: keep);
        var others = tensor(new long[] { 0, 1, 3, 4, 5 });
        var scores = q.matmul(k.index_select(2, others).transpose(-2, -1)) / Math.Sqrt(8);
        for (int query = 3; query < 6; query++)
        {
            var visible = query; // keys 0, 1, 3..query -> indices 0..query-1 of 'others'
            var row = scores.narrow(2, query, 1).narrow(3, 0, visible).softmax(-1).matmul(v.index_select(2, others).narrow(2, 0, visible));
            Assert.True(row.allclose(masked.narrow(2, query, 1), rtol: 1e-5, atol: 1e-6), $"query {query}");
        }
    }
}
