using Sdtp.Evaluation.Policies;
using Sdtp.Evaluation.Tasks;
using Sdtp.Modeling;
using Sdtp.Pruning;
using static TorchSharp.torch;

namespace Sdtp.Evaluation.Tests;

/// <summary>Each policy's choice on inputs where the right answer is known.</summary>
public class PolicyTests
{
    private static readonly ModelConfig Config = new()
    {
        ModelType = "llama", HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 3, NumAttentionHeads = 4,
        NumKeyValueHeads = 2, HeadDim = 8, VocabSize = 60,
    };

    private static PolicyContext Context(int seed = 1) =>
        new(new TaskSample("passkey", "", " 1", 0.5, []), Enumerable.Range(3, 40).ToArray(), [5, 6], seed);

    private static long[] Select(ITokenScorer scorer, LlamaForCausalLM model, int n, int k, int stage = 0, int layer = 1)
    {
        using var scope = NewDisposeScope();
        var positions = arange(n).unsqueeze(0);
        var hidden = randn(1, n, Config.HiddenSize);
        var input = new StageInput(model, stage, layer, hidden, positions, null, model.RotaryFor(positions));
        var forced = TokenSelection.ForcedMask(positions, null, [n], new AlwaysKeepTokens(2, 0));
        return TokenSelection.Select(scorer.Score(input), forced, null, k)[0].data<long>().ToArray();
    }

    [Fact]
    public void Window_keeps_the_sinks_and_the_most_recent_tokens()
    {
        using var model = new LlamaForCausalLM(Config, CPU);
        Assert.Equal([0L, 1, 35, 36, 37, 38, 39], Select(new WindowPolicy().ScorerFor(Context())!, model, 40, 7));
    }

    [Fact]
    public void Random_is_reproducible_per_seed_and_differs_across_seeds()
    {
        using var model = new LlamaForCausalLM(Config, CPU);
        var a = Select(new RandomPolicy().ScorerFor(Context(1))!, model, 40, 12);
        Assert.Equal(a, Select(new RandomPolicy().ScorerFor(Context(1))!, model, 40, 12));
        Assert.NotEqual(a, Select(new RandomPolicy().ScorerFor(Context(2))!, model, 40, 12));
    }

    [Fact]
    public void Dense_has_no_scorer()
    {
        Assert.Null(new DensePolicy().ScorerFor(Context()));
    }

    [Fact]
    public void Attention_scores_are_the_last_tokens_attention_probabilities()
    {
        manual_seed(4);
        using var model = new LlamaForCausalLM(Config, CPU);
        using var positions = arange(12).unsqueeze(0);
        using var hidden = randn(1, 12, Config.HiddenSize);
        var rope = model.RotaryFor(positions);
        var scores = new AttentionPolicy(queries: 1).ScorerFor(Context())!.Score(new StageInput(model, 0, 1, hidden, positions, null, rope));
        Assert.Equal([1L, 12], scores.shape);
        Assert.Equal(1.0, scores.sum().item<float>(), 4); // one query's distribution over all 12 tokens
        // With 3 queries, the first of them cannot see the last two tokens: their mean weight is smaller on average.
        var three = new AttentionPolicy(queries: 3).ScorerFor(Context())!.Score(new StageInput(model, 0, 1, hidden, positions, null, rope));
        Assert.Equal(1.0, three.sum().item<float>(), 4);
    }

    [Fact]
    public void Oracle_ranks_by_the_true_saliency_of_the_answer()
    {
        manual_seed(5);
        using var model = new LlamaForCausalLM(Config, CPU);
        var schedule = PruningSchedule.Explicit([new(1, 0.5)]);
        var context = Context();
        var scorer = new OraclePolicy(model, schedule).ScorerFor(context)!;
        using var positions = arange(40).unsqueeze(0);
        using var hidden = randn(1, 40, Config.HiddenSize);
        using var scores = scorer.Score(new StageInput(model, 0, 1, hidden, positions, null, model.RotaryFor(positions)));
        // The oracle's scores are the normalised saliency the marker computes for prompt + answer.
        var ids = context.PromptIds.Concat(context.AnswerIds).Select(i => (long)i).ToArray();
        var marked = Sdtp.Training.SaliencyMarker.MarkSample(model, schedule, ids, ids.Select((_, i) => i >= 40).ToArray());
        Assert.Equal(marked.Saliency[0].Take(40).ToArray(), scores[0].data<float>().ToArray());
        // Saliency of the answer: another answer to the same prompt ranks the prompt's tokens differently.
        var other = context with { AnswerIds = context.AnswerIds.Select(id => id % 40 + 3).Reverse().ToList() };
        using var otherScores = new OraclePolicy(model, schedule).ScorerFor(other)!
            .Score(new StageInput(model, 0, 1, hidden, positions, null, model.RotaryFor(positions)));
        Assert.False(scores.equal(otherScores).all().item<bool>(), "the oracle's scores do not depend on the answer");
    }
}
