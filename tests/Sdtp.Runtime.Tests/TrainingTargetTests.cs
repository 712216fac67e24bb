using Sdtp.Pruning;
using Sdtp.Training;

namespace Sdtp.Runtime.Tests;

public class TrainingTargetTests
{
    [Fact]
    public void Targets_are_rescaled_over_the_tokens_a_head_can_drop()
    {
        // 20 tokens: first 2 and last 2 forced; the forced ones hold the row maximum.
        var saliency = new float[20];
        saliency[0] = 1f;
        saliency[19] = 1f;
        saliency[5] = 0.02f;
        saliency[9] = 0.01f;
        var targets = RankableTargets.Rescale(saliency, new AlwaysKeepTokens(Initial: 2, RecentFraction: 0.1));
        Assert.Equal(1f, targets[5]);
        Assert.Equal(0.5f, targets[9], 6);
        Assert.Equal(1f, targets[0]); // forced tokens clamp at 1
        Assert.Equal(1f, targets[19]);
        Assert.Equal(0f, targets[12]);
        Assert.Equal(new float[20], RankableTargets.Rescale(new float[20], new AlwaysKeepTokens())); // nothing salient: unchanged
    }

    [Fact]
    public void Carried_forward_targets_keep_the_largest_saliency_of_this_stage_or_any_earlier_one()
    {
        float[][] saliency = [[0.9f, 0.1f, 0.0f], [0.2f, 0.5f, 0.1f], [0.0f, 0.3f, 1.0f]];
        Assert.Equal([0.9f, 0.1f, 0.0f], RankableTargets.CarriedForward(saliency, 0));
        Assert.Equal([0.9f, 0.5f, 0.1f], RankableTargets.CarriedForward(saliency, 1));
        Assert.Equal([0.9f, 0.5f, 1.0f], RankableTargets.CarriedForward(saliency, 2));
        Assert.Equal([0.9f, 0.1f, 0.0f], saliency[0]); // the marked sample is not changed
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => RankableTargets.CarriedForward(saliency, 3));
        Assert.Contains("the sample has 3 stages", e.Message);
    }

    [Fact]
    public void Query_marginal_saliency_takes_the_maximum_over_the_shared_context_only()
    {
        // context 0..3 shared; the questions differ from token 4 on.
        var asked = new MarkedSample([1, 5, 6, 7, 8, 9], [false, false, false, false, false, true],
            [[0.1f, 0.9f, 0.0f, 0.2f, 0.3f, 1f]]);
        var other = new MarkedSample([1, 5, 6, 7, 4, 4, 2], [false, false, false, false, false, false, true],
            [[0.5f, 0.1f, 0.7f, 0.0f, 0.9f, 0.9f, 1f]]);
        var combined = QueryMarginalSaliency.Combine(asked, [other]);
        Assert.Equal(new[] { 0.5f, 0.9f, 0.7f, 0.2f, 0.3f, 1f }, combined.Saliency[0]);
        Assert.Equal(asked.Ids, combined.Ids);
        Assert.Equal(0.1f, asked.Saliency[0][0]); // the input is not changed

        var twoStages = new MarkedSample([1, 5, 6], [false, false, true], [[0f, 0f, 1f], [0f, 0f, 1f]]);
        var error = Assert.Throws<ArgumentException>(() => QueryMarginalSaliency.Combine(asked, [twoStages]));
        Assert.Contains("2 stages", error.Message);
    }

    [Fact]
    public void Heads_reset_from_a_seed_are_identical_and_inside_the_linear_default_range()
    {
        var schedule = PruningSchedule.Geometric(1, 1, 2, 0.8);
        using var a = new SaliencyHeads(schedule, 16);
        using var b = new SaliencyHeads(schedule, 16);
        a.ResetParameters(3);
        b.ResetParameters(3);
        var pa = a.named_parameters().ToList();
        var pb = b.named_parameters().ToList();
        Assert.All(pa.Zip(pb), p => Assert.True(p.First.parameter.equal(p.Second.parameter).all().item<bool>()));
        b.ResetParameters(4);
        Assert.False(a.ForStage(0).Fc1.weight!.equal(b.ForStage(0).Fc1.weight!).all().item<bool>());
        Assert.True(a.ForStage(0).Fc1.weight!.abs().max().item<float>() <= 1 / MathF.Sqrt(16));
        Assert.True(a.ForStage(1).Fc2.weight!.abs().max().item<float>() <= 1 / MathF.Sqrt(4));
    }

    [Fact]
    public void Word_level_targets_give_every_token_of_a_word_its_largest_saliency()
    {
        var tokenizer = new Sdtp.Tokenization.ByteTokenizer();
        var ids = tokenizer.Encode("is 979. Ok", addBos: true).Select(i => (long)i).ToArray(); // BOS + 10 bytes
        var words = WordLevelSaliency.WordIds(ids, tokenizer);
        // BOS | i s | ' ' | 9 7 9 . | ' ' | O k
        Assert.Equal(new[] { 0, 1, 1, 2, 3, 3, 3, 3, 4, 5, 5 }, words);

        var stage = new float[] { 0.5f, 0.1f, 0.2f, 0.05f, 0.9f, 0.3f, 0.8f, 0.01f, 0.0f, 0.4f, 0.1f };
        var targets = new bool[ids.Length];
        targets[^1] = true;
        var sample = new MarkedSample(ids, targets, [stage, stage.Select(v => v / 2).ToArray()]);
        var word = WordLevelSaliency.Apply([sample], tokenizer).Single();

        Assert.Equal(new[] { 0.5f, 0.2f, 0.2f, 0.05f, 0.9f, 0.9f, 0.9f, 0.9f, 0.0f, 0.4f, 0.4f }, word.Saliency[0]);
        Assert.Equal(word.Saliency[0].Select(v => v / 2), word.Saliency[1]); // every stage on its own
        Assert.Equal(ids, word.Ids);
        Assert.Throws<ArgumentException>(() => WordLevelSaliency.MaxPerWord([1f, 2f], [0]));

        // With the space joining the next word, as a BPE token's leading space does: BOS | i s | ' ' 9 7 9 . | ' ' O k.
        Assert.Equal(new[] { 0, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3 }, WordLevelSaliency.WordIds(ids, tokenizer, spaceJoinsNextWord: true));
        var joined = WordLevelSaliency.Apply([sample], tokenizer, spaceJoinsNextWord: true).Single();
        Assert.Equal(new[] { 0.5f, 0.2f, 0.2f, 0.9f, 0.9f, 0.9f, 0.9f, 0.9f, 0.4f, 0.4f, 0.4f }, joined.Saliency[0]);

        // The levels train-heads offers: each token's own, word, word with its space.
        Assert.Equal(stage, WordLevelSaliency.Apply([sample], tokenizer, SaliencyTargetLevel.Token).Single().Saliency[0]);
        Assert.Equal(word.Saliency[0], WordLevelSaliency.Apply([sample], tokenizer, SaliencyTargetLevel.Word).Single().Saliency[0]);
        Assert.Equal(joined.Saliency[0], WordLevelSaliency.Apply([sample], tokenizer, SaliencyTargetLevel.WordAndSpace).Single().Saliency[0]);
    }
}
