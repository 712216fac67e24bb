using Sdtp.Evaluation.Policies;
using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Tokenization;
using static TorchSharp.torch;

namespace Sdtp.Evaluation.Tests;

/// <summary>The RULER-like grid through the evaluator on a tiny random byte-level model: counts, pairing, limits.</summary>
public class RulerEvaluationTests
{
    private static readonly ModelConfig Config = new()
    {
        ModelType = "llama", HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 3, NumAttentionHeads = 4,
        NumKeyValueHeads = 2, HeadDim = 8, VocabSize = ByteTokenizer.VocabSize, MaxPositionEmbeddings = 2048,
    };

    [Fact]
    public void Baselines_score_their_share_of_each_cell_and_retention_pairs_them_with_dense_on_the_same_samples()
    {
        manual_seed(3);
        using var model = new LlamaForCausalLM(Config);
        var schedule = PruningSchedule.Explicit([new PruningStage(1, 0.5)]);
        using var heads = new SaliencyHeads(schedule, Config.HiddenSize);
        heads.MarkTrained(ModelSignature.Of(model)); // random heads: the test counts samples, not accuracy
        var evaluator = new AccuracyEvaluator(model, new ByteTokenizer(), schedule);
        var grid = new AccuracyGrid(["niah_single", "vt@train", "lm_prose"], [160], [0.25, 0.75], 3) { BaselineSamplesPerCell = 1 };
        List<IPruningPolicy> policies = [new DensePolicy(), new SdtpPolicy(heads), new RandomPolicy()];
        var scores = evaluator.Run(policies, grid);
        Assert.Equal(["niah_single", "vt@train", "lm_prose"], scores.Keys);
        foreach (var task in new[] { "niah_single", "vt@train" })
        {
            Assert.Equal(6, scores[task]["dense"].Samples);
            Assert.Equal(6, scores[task]["sdtp"].Samples);
            Assert.Equal(2, scores[task]["random"].Samples);
            var s = scores[task]["sdtp"];
            Assert.Equal(s.Accuracy!.Value, s.Correct!.Value / 6.0, 9);
            Assert.InRange(s.Accuracy.Value, s.Interval![0], s.Interval[1]);
        }
        Assert.Equal(1, scores["lm_prose"]["random"].Samples); // lm has one cell per length (no depths)
        Assert.Equal(3, scores["lm_prose"]["dense"].Samples);
        Assert.Null(scores["lm_prose"]["dense"].Interval);
    }

    [Fact]
    public void Stopping_once_every_expected_string_is_there_scores_like_decoding_to_the_end()
    {
        manual_seed(5);
        using var model = new LlamaForCausalLM(Config);
        var tokenizer = new ByteTokenizer();
        foreach (var name in new[] { "niah_single@train", "vt@train", "niah_multiquery@train" })
            for (int i = 0; i < 3; i++)
            {
                var sample = Sdtp.Evaluation.Tasks.TaskSuite.EvaluationSample(Sdtp.Evaluation.Tasks.TaskSuite.ByName(name), 160, 0.5, i);
                var full = Sdtp.Evaluation.Tasks.Answers.Generate(model, tokenizer, sample);
                Assert.Equal(Sdtp.Evaluation.Tasks.Answers.IsRight(sample, full), Sdtp.Evaluation.Tasks.Answers.ExactMatch(model, tokenizer, sample));
                // A sample whose answer is the model's own output is right, and found before the end.
                var echo = sample with { Expected = [full[..Math.Min(3, full.Length)]] };
                Assert.True(Sdtp.Evaluation.Tasks.Answers.ExactMatch(model, tokenizer, echo));
            }
    }

    [Theory]
    [InlineData(4096, "--lengths: 4096 tokens is longer than the model's max_position_embeddings (2048")]
    [InlineData(0, "--lengths: 0 is not a prompt length")]
    public void Lengths_the_model_cannot_serve_are_refused_before_any_work(int length, string message)
    {
        var settings = EvaluationSettings.Ruler(lengths: [1024, length]);
        var error = Assert.Throws<ArgumentException>(() => settings.Validate(Config));
        Assert.StartsWith(message, error.Message);
        var latency = new EvaluationSettings { LatencyLengths = [1024, 8192] };
        Assert.StartsWith("--latency-lengths: 8192 tokens", Assert.Throws<ArgumentException>(() => latency.Validate(Config)).Message);
    }

    [Fact]
    public void The_ruler_grid_covers_every_family_at_1024_and_2048_over_ten_depths_and_in_distribution_too()
    {
        var settings = EvaluationSettings.Ruler();
        Assert.Equal(["niah_single", "niah_multikey", "niah_multivalue", "niah_multiquery", "vt", "lm_prose"], settings.Grid.Tasks);
        Assert.Equal([1024, 2048], settings.Grid.Lengths);
        Assert.Equal(10, settings.Grid.Depths.Count);
        Assert.Equal(0.05, settings.Grid.Depths[0], 9);
        Assert.Equal(0.95, settings.Grid.Depths[^1], 9);
        Assert.Equal(100, settings.Grid.Depths.Count * settings.Grid.SamplesPerCell);
        Assert.All(settings.InDistribution!.Tasks, t => Assert.EndsWith("@train", t));
        Assert.Equal(["dense", "sdtp"], settings.InDistributionPolicies);
    }
}
