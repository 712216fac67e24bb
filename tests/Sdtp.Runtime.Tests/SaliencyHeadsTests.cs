using Sdtp.Checkpoints;
using Sdtp.Pruning;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

public class SaliencyHeadsTests
{
    private static readonly PruningSchedule Schedule = PruningSchedule.Explicit([new(2, 0.8), new(5, 0.8)]);

    [Fact]
    public void Heads_have_stable_names_and_round_trip_bit_exactly()
    {
        using var dir = new TempDirectory();
        manual_seed(3);
        using var heads = new SaliencyHeads(Schedule, 32, CPU);
        Assert.Equal(
            ["heads.layer_2.fc1.bias", "heads.layer_2.fc1.weight", "heads.layer_2.fc2.bias", "heads.layer_2.fc2.weight",
             "heads.layer_5.fc1.bias", "heads.layer_5.fc1.weight", "heads.layer_5.fc2.bias", "heads.layer_5.fc2.weight"],
            heads.state_dict().Keys.Order(StringComparer.Ordinal));
        Assert.Equal([8L, 32], heads.ForStage(0).Fc1.weight!.shape); // d -> d/4
        Assert.Equal([2L, 8], heads.ForStage(1).Fc2.weight!.shape);  // d/4 -> keep/drop

        var path = dir.File(SaliencyHeads.FileName);
        heads.Save(path, Schedule);
        using var loaded = SaliencyHeads.Load(path, Schedule, 32, CPU);
        foreach (var (name, t) in heads.state_dict())
            Assert.True(t.equal(loaded.state_dict()[name]).all().item<bool>(), name);
        using var file = SafeTensorsFile.Open(path);
        Assert.Equal("[2,5]", file.Metadata["sdtp.layers"]);
    }

    [Fact]
    public void Heads_record_their_schedule_width_normalisation_and_model_and_refuse_another()
    {
        using var dir = new TempDirectory();
        using var heads = new SaliencyHeads(Schedule, 32, CPU);
        Assert.False(heads.IsTrained);
        heads.MarkTrained("0123456789abcdef");
        var path = dir.File(SaliencyHeads.FileName);
        heads.Save(path, Schedule);
        var info = SaliencyHeads.ReadInfo(path);
        Assert.True(PruningScheduleSyntax.SameSchedule(Schedule, info.Schedule!));
        Assert.Equal((32L, SaliencyHead.InputNormalization, "0123456789abcdef"), (info.HiddenSize!.Value, info.InputNormalization!, info.BaseModel!));

        var other = PruningSchedule.Explicit([new(2, 0.8), new(6, 0.8)]);
        var e = Assert.Throws<CheckpointException>(() => SaliencyHeads.Load(path, other, 32, CPU));
        Assert.Contains("the heads were trained for schedule '2:0.8,5:0.8;initial=4,recent=0.1', but this model prunes with '2:0.8,6:0.8;initial=4,recent=0.1'", e.Message);
        // The same layers with other keep ratios or other always-kept tokens is another schedule too.
        Assert.Throws<CheckpointException>(() => SaliencyHeads.Load(path, PruningSchedule.Explicit([new(2, 0.8), new(5, 0.7)]), 32, CPU));
        Assert.Throws<CheckpointException>(() => SaliencyHeads.Load(path, PruningSchedule.Explicit(Schedule.Stages, new AlwaysKeepTokens(2)), 32, CPU));
        Assert.Contains("read hidden states of width 32, but this model's hidden size is 64",
            Assert.Throws<CheckpointException>(() => SaliencyHeads.Load(path, Schedule, 64, CPU)).Message);
        Assert.Contains("trained on a model of signature 0123456789abcdef, but this model's is fedcba9876543210",
            Assert.Throws<CheckpointException>(() => SaliencyHeads.Load(path, Schedule, 32, CPU, baseModel: "fedcba9876543210")).Message);
        using var loaded = SaliencyHeads.Load(path, Schedule, 32, CPU, baseModel: "0123456789abcdef");
        Assert.True(loaded.IsTrained);
    }

    [Fact]
    public void Heads_files_without_a_recorded_binding_are_checked_by_tensor_names()
    {
        using var dir = new TempDirectory();
        using var heads = new SaliencyHeads(Schedule, 32, CPU);
        var path = dir.File(SaliencyHeads.FileName);
        SafeTensorsFile.Write(path, heads.state_dict()); // as files were written before heads recorded what they serve
        Assert.Equal(new SaliencyHeads.FileInfo(null, null, null, null), SaliencyHeads.ReadInfo(path));
        var other = PruningSchedule.Explicit([new(2, 0.8), new(6, 0.8)]);
        var e = Assert.Throws<CheckpointException>(() => SaliencyHeads.Load(path, other, 32, CPU));
        Assert.Contains("missing (4): heads.layer_6.fc1.weight", e.Message);
        Assert.Contains("unexpected (4): heads.layer_5.fc1.bias, heads.layer_5.fc1.weight", e.Message);
        using var loaded = SaliencyHeads.Load(path, Schedule, 32, CPU, baseModel: "0123456789abcdef");
        Assert.True(loaded.IsTrained);
    }

    [Fact]
    public void Pruning_with_heads_never_trained_or_loaded_is_refused()
    {
        using var heads = new SaliencyHeads(Schedule, 32, CPU);
        var e = Assert.Throws<UntrainedHeadsException>(() => new SaliencyHeadScorer(heads));
        Assert.Contains("never trained or loaded", e.Message);
        Assert.Contains("sdtp train-heads", e.Message);
        heads.MarkTrained("0123456789abcdef");
        _ = new SaliencyHeadScorer(heads);
    }

    [Fact]
    public void Non_finite_or_empty_heads_are_refused_naming_the_file_and_tensor()
    {
        using var dir = new TempDirectory();
        using var heads = new SaliencyHeads(Schedule, 32, CPU);
        var path = dir.File(SaliencyHeads.FileName);
        using (no_grad()) heads.ForStage(1).Fc2.bias![0] = float.NaN;
        heads.Save(path, Schedule);
        var e = Assert.Throws<CheckpointException>(() => SaliencyHeads.Load(path, Schedule, 32, CPU));
        Assert.Contains($"{path}: tensor 'heads.layer_5.fc2.bias' holds 1 non-finite value", e.Message);

        using var empty = new SaliencyHeads(Schedule, 32, CPU);
        var state = empty.state_dict().ToDictionary(kv => kv.Key, kv => kv.Key.EndsWith("fc1.weight") ? zeros(0, 32)
            : kv.Key.EndsWith("fc1.bias") ? zeros(0) : kv.Key.EndsWith("fc2.weight") ? zeros(2, 0) : kv.Value);
        SafeTensorsFile.Write(path, state);
        var e2 = Assert.Throws<CheckpointException>(() => SaliencyHeads.Load(path, Schedule, 32, CPU));
        Assert.Contains($"{path}: tensor 'heads.layer_2.fc1.weight' has an inner width of 0", e2.Message);
    }

    [Fact]
    public void Score_is_keep_logit_minus_drop_logit()
    {
        using var heads = new SaliencyHeads(Schedule, 32, CPU);
        using var hidden = randn(2, 5, 32);
        var head = heads.ForStage(0);
        using var logits = head.forward(hidden);
        using var score = head.Score(hidden);
        Assert.True(score.allclose(logits.select(-1, 0) - logits.select(-1, 1)));
    }

    [Fact]
    public void Average_scores_are_the_mean_of_the_members_scores_and_load_at_their_width()
    {
        using var dir = new TempDirectory();
        using var a = new SaliencyHeads(Schedule, 32, CPU);
        using var b = new SaliencyHeads(Schedule, 32, CPU);
        a.ResetParameters(1);
        b.ResetParameters(2);
        using var average = SaliencyHeads.Average([a, b]);
        Assert.Equal(16, average.InnerSize);
        using var hidden = randn(2, 7, 32);
        for (int stage = 0; stage < 2; stage++)
        {
            using var expected = (a.ForStage(stage).Score(hidden) + b.ForStage(stage).Score(hidden)) / 2;
            using var actual = average.ForStage(stage).Score(hidden);
            Assert.True(actual.allclose(expected, rtol: 0, atol: 1e-5), $"stage {stage}");
        }

        var path = dir.File(SaliencyHeads.FileName);
        average.Save(path, Schedule);
        using var loaded = SaliencyHeads.Load(path, Schedule, 32, CPU);
        Assert.Equal(16, loaded.InnerSize);
        using var reloaded = loaded.ForStage(1).Score(hidden);
        using var original = average.ForStage(1).Score(hidden);
        Assert.True(reloaded.equal(original).all().item<bool>());
        using var file = SafeTensorsFile.Open(path);
        Assert.Equal("16", file.Metadata["sdtp.inner_size"]);
    }

    [Fact]
    public void Average_of_heads_at_other_layers_is_refused_by_name()
    {
        using var a = new SaliencyHeads(Schedule, 32, CPU);
        using var b = new SaliencyHeads(PruningSchedule.Explicit([new(2, 0.8), new(6, 0.8)]), 32, CPU);
        var e = Assert.Throws<ArgumentException>(() => SaliencyHeads.Average([a, b]));
        Assert.Contains("heads 1 sit at layers [2, 6] with hidden size 32, heads 0 at [2, 5] with 32", e.Message);
        Assert.Throws<ArgumentException>(() => SaliencyHeads.Average([]));
    }
}
