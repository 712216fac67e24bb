using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Training;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

[SdtpModel(NumLayers = 5)]
[PruneAt(1, 0.7)]
[PruneAt(2, 0.8)]
[PruneAt(4, 0.5)]
[AlwaysKeep(Initial = 2, RecentFraction = 0.1)]
public sealed partial class GeneratedTinyLlama : LlamaForCausalLM
{
    public GeneratedTinyLlama(ModelConfig config) : base(config, CPU) { }
}

[SdtpModel(NumLayers = 4)]
[GeometricSchedule(FirstLayer = 1, Every = 1, Stages = 3, Ratio = 0.75)]
public sealed partial class GeometricTinyLlama : LlamaForCausalLM
{
    public GeometricTinyLlama(ModelConfig config) : base(config, CPU) { }
}

/// <summary>The generated forwards against the runtime's reference loops on the same weights: exactly the same tokens kept, the same logits.</summary>
public class GeneratedForwardTests
{
    private static T Build<T>(Func<ModelConfig, T> create, int layers, long seed) where T : LlamaForCausalLM, ISdtpModel
    {
        var config = TinyModels.Config(layers: layers);
        using var source = TinyModels.Random(config, seed);
        var model = create(config);
        using (no_grad())
            foreach (var (name, tensor) in source.state_dict()) model.state_dict()[name].copy_(tensor);
        manual_seed(seed + 1);
        model.SdtpHeads.MarkTrained(ModelSignature.Of(model)); // seeded random weights stand for trained heads here
        return model;
    }

    private static Tensor Prompt(int batch, int length, long seed)
    {
        using var g = new Generator((ulong)seed, CPU);
        return randint(3, 50, [batch, length], generator: g);
    }

    public static TheoryData<string, int> Cases() => new() { { "explicit", 1 }, { "explicit", 3 }, { "geometric", 1 }, { "geometric", 2 } };

    private static (LlamaForCausalLM Model, ISdtpModel Sdtp) Model(string kind) => kind == "explicit"
        ? Pair(Build(c => new GeneratedTinyLlama(c), 5, 21))
        : Pair(Build(c => new GeometricTinyLlama(c), 4, 22));

    private static (LlamaForCausalLM, ISdtpModel) Pair<T>(T model) where T : LlamaForCausalLM, ISdtpModel => (model, model);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_prefill_keeps_the_same_tokens_and_gives_the_same_logits(string kind, int batch)
    {
        var (model, sdtp) = Model(kind);
        using var ids = Prompt(batch, 50, 7);
        using var mask = batch > 1 ? LeftPadding(batch, 50) : null;
        var options = new PrefillOptions { RecordKeptPositions = true };
        using var generatedCache = new KvCache(model.Layers.Count);
        using var referenceCache = new KvCache(model.Layers.Count);
        var generated = sdtp.SdtpPrefill(ids, mask, generatedCache, options);
        var reference = PrunedPrefill.Run(model, sdtp.SdtpSchedule, new SaliencyHeadScorer(sdtp.SdtpHeads), ids, mask, referenceCache, options);

        Assert.Equal(reference.Report.TokensPerLayer, generated.Report.TokensPerLayer);
        for (int s = 0; s < reference.Report.Stages.Count; s++)
            for (int row = 0; row < batch; row++)
                Assert.Equal(reference.Report.Stages[s].KeptPositions[row], generated.Report.Stages[s].KeptPositions[row]);
        // Bit for bit on CPU fp32: both paths call the same primitives in the same order on the same tensors.
        Assert.True(generated.LastLogits.equal(reference.LastLogits).all().item<bool>(),
            $"largest difference {(generated.LastLogits - reference.LastLogits).abs().max().item<float>():E2}");

        using var next = generated.LastLogits.argmax(-1).unsqueeze(1);
        using var noGrad = no_grad();
        using var a = model.Forward(next, cache: generatedCache);
        using var b = model.Forward(next, cache: referenceCache);
        Assert.True(a.equal(b).all().item<bool>(), "decode after the two prefills differs");
        model.Dispose();
    }

    [Fact]
    public void Averaged_heads_load_into_the_generated_model_and_its_prefill_uses_them()
    {
        using var dir = new TempDirectory();
        using var model = Build(c => new GeneratedTinyLlama(c), 5, 21);
        var schedule = GeneratedTinyLlama.SdtpPlan.Schedule;
        using var other = new SaliencyHeads(schedule, model.Config.HiddenSize, CPU);
        other.MarkTrained(ModelSignature.Of(model));
        other.ResetParameters(5);
        using (var average = SaliencyHeads.Average([model.SdtpHeads, other]))
            average.Save(dir.File(SaliencyHeads.FileName), schedule);

        model.LoadSdtpHeads(dir.File(SaliencyHeads.FileName));
        Assert.Equal(2 * SaliencyHead.DefaultInnerSize(model.Config.HiddenSize), model.SdtpHeads.InnerSize);
        using var ids = Prompt(1, 50, 7);
        var options = new PrefillOptions { RecordKeptPositions = true };
        var generated = model.SdtpPrefill(ids, options: options);
        var reference = PrunedPrefill.Run(model, schedule, new SaliencyHeadScorer(model.SdtpHeads), ids, options: options);
        for (int s = 0; s < reference.Report.Stages.Count; s++)
            Assert.Equal(reference.Report.Stages[s].KeptPositions[0], generated.Report.Stages[s].KeptPositions[0]);
        Assert.True(generated.LastLogits.allclose(reference.LastLogits, rtol: 0, atol: 1e-5));

        using var misplaced = new SaliencyHeads(PruningSchedule.Explicit([new(1, 0.5)]), model.Config.HiddenSize, CPU);
        var e = Assert.Throws<ArgumentException>(() => model.UseSdtpHeads(misplaced));
        Assert.Contains("heads sit at layers [1] but the schedule prunes at [1, 2, 4]", e.Message);
    }

    [Theory]
    [InlineData("generated")]
    [InlineData("reference")]
    public void Each_row_of_a_left_padded_batch_is_pruned_as_it_would_be_alone(string path)
    {
        using var model = Build(c => new GeneratedTinyLlama(c), 5, 23);
        int[] lengths = [40, 17, 29];
        int width = lengths.Max();
        var rows = lengths.Select((n, r) => Prompt(1, n, 30 + r)).ToArray();
        using var ids = zeros(lengths.Length, width, dtype: ScalarType.Int64);
        using var mask = zeros(lengths.Length, width, dtype: ScalarType.Int64);
        for (int r = 0; r < lengths.Length; r++)
        {
            ids[r].narrow(0, width - lengths[r], lengths[r]).copy_(rows[r][0]);
            mask[r].narrow(0, width - lengths[r], lengths[r]).fill_(1);
        }
        var options = new PrefillOptions { RecordKeptPositions = true };
        PrefillResult Prefill(Tensor input, Tensor? m) => path == "generated"
            ? model.SdtpPrefill(input, m, options: options)
            : PrunedPrefill.Run(model, GeneratedTinyLlama.SdtpPlan.Schedule, new SaliencyHeadScorer(model.SdtpHeads), input, m, options: options);

        var batch = Prefill(ids, mask);
        for (int r = 0; r < lengths.Length; r++)
        {
            var alone = Prefill(rows[r], null);
            for (int s = 0; s < alone.Report.Stages.Count; s++)
                Assert.Equal(alone.Report.Stages[s].KeptPositions[0], batch.Report.Stages[s].KeptPositions[r]);
            // The row's own keep counts: the longest row sets the batch's width, shorter rows are padded to it.
            Assert.Equal(GeneratedTinyLlama.SdtpPlan.Schedule.TokensPerLayer(lengths[r], 5), alone.Report.TokensPerLayer);
            Assert.True(batch.LastLogits[r].allclose(alone.LastLogits[0], rtol: 0, atol: 1e-5),
                $"row {r}: {(batch.LastLogits[r] - alone.LastLogits[0]).abs().max().item<float>()}");
        }
        Assert.Equal(GeneratedTinyLlama.SdtpPlan.Schedule.TokensPerLayer(width, 5), batch.Report.TokensPerLayer);
        foreach (var row in rows) row.Dispose();
    }

    [Fact]
    public void The_generated_prefill_refuses_fresh_heads_and_loads_only_heads_of_its_own_model()
    {
        using var dir = new TempDirectory();
        var config = TinyModels.Config(layers: 5);
        using var model = new GeneratedTinyLlama(config);
        using var ids = Prompt(1, 30, 3);
        Assert.Throws<UntrainedHeadsException>(() => model.SdtpPrefill(ids));

        // Heads trained on a model of another architecture (other key/value heads), saved with its signature.
        using var wider = TinyModels.Random(TinyModels.Config(kvHeads: 1, layers: 5));
        using var foreign = new SaliencyHeads(GeneratedTinyLlama.SdtpPlan.Schedule, config.HiddenSize, CPU);
        foreign.MarkTrained(ModelSignature.Of(wider));
        foreign.Save(dir.File("foreign.safetensors"), GeneratedTinyLlama.SdtpPlan.Schedule);
        var e = Assert.Throws<Sdtp.Checkpoints.CheckpointException>(() => model.LoadSdtpHeads(dir.File("foreign.safetensors")));
        Assert.Contains($"trained on a model of signature {ModelSignature.Of(wider)}, but this model's is {ModelSignature.Of(model)}", e.Message);

        using var own = new SaliencyHeads(GeneratedTinyLlama.SdtpPlan.Schedule, config.HiddenSize, CPU);
        own.MarkTrained(ModelSignature.Of(model));
        own.Save(dir.File("own.safetensors"), GeneratedTinyLlama.SdtpPlan.Schedule);
        model.LoadSdtpHeads(dir.File("own.safetensors"));
        Assert.Equal(1, (int)model.SdtpPrefill(ids).LastLogits.shape[0]);
    }

    [Fact]
    public void Compile_time_keep_counts_equal_the_schedules_at_every_length()
    {
        for (int length = 0; length <= 5000; length++)
        {
            Assert.Equal(GeneratedTinyLlama.SdtpPlan.Schedule.KeepCounts(length), GeneratedTinyLlama.SdtpPlan.KeepCounts(length));
            Assert.Equal(GeometricTinyLlama.SdtpPlan.Schedule.KeepCounts(length), GeometricTinyLlama.SdtpPlan.KeepCounts(length));
        }
    }

    [Fact]
    public void Generated_training_forward_equals_the_reference_soft_forward()
    {
        var (model, sdtp) = Model("explicit");
        using var ids = Prompt(1, 30, 8);
        using var g1 = new Generator(5, CPU);
        using var g2 = new Generator(5, CPU);
        var generated = sdtp.SdtpTrainingForward(ids, 0.5, g1);
        var reference = SoftPrunedForward.Run(model, sdtp.SdtpSchedule, sdtp.SdtpHeads, ids, 0.5, g2);
        Assert.True(generated.Logits.equal(reference.Logits).all().item<bool>());
        for (int s = 0; s < 3; s++)
        {
            Assert.True(generated.CumulativeKeep[s].equal(reference.CumulativeKeep[s]).all().item<bool>(), $"stage {s} keep mask");
            Assert.True(generated.StageLogits[s].equal(reference.StageLogits[s]).all().item<bool>(), $"stage {s} head logits");
        }
        model.Dispose();
    }

    [Fact]
    public void Generated_marking_forward_gives_the_reference_saliency()
    {
        var (model, sdtp) = Model("explicit");
        using var ids = Prompt(1, 24, 9);
        using var targets = cat([zeros(1, 20, dtype: ScalarType.Int64), ones(1, 4, dtype: ScalarType.Int64)], 1);
        var generated = SaliencyMarker.Mark(model, () => sdtp.SdtpMarkingForward(ids), ids, targets);
        var reference = SaliencyMarker.Mark(model, sdtp.SdtpSchedule, ids, targets);
        Assert.Equal(3, generated.Length);
        for (int s = 0; s < 3; s++) Assert.True(generated[s].equal(reference[s]).all().item<bool>(), $"stage {s} saliency");
        model.Dispose();
    }

    [Fact]
    public void Plan_constants_match_the_attributes_and_flops_match_the_runtime()
    {
        Assert.Equal([1, 2, 4], GeneratedTinyLlama.SdtpPlan.Layers);
        Assert.Equal([0.7, 0.8, 0.5], GeneratedTinyLlama.SdtpPlan.KeepRatios);
        Assert.Equal(0.7 * 0.8 * 0.5, GeneratedTinyLlama.SdtpPlan.CumulativeKeepRatios[2], 12);
        Assert.Equal((2, 0.1), (GeneratedTinyLlama.SdtpPlan.AlwaysKeepInitial, GeneratedTinyLlama.SdtpPlan.AlwaysKeepRecentFraction));
        Assert.Equal([1, 2, 3], GeometricTinyLlama.SdtpPlan.Layers);
        var config = TinyModels.Config(layers: 5);
        Assert.Equal(PrefillFlops.Estimate(config, GeneratedTinyLlama.SdtpPlan.Schedule, 1000), GeneratedTinyLlama.SdtpPlan.PrefillFlops(config, 1000));
    }

    [Fact]
    public void A_config_with_another_layer_count_is_refused_by_name()
    {
        using var model = new GeneratedTinyLlama(TinyModels.Config(layers: 3));
        using var ids = Prompt(1, 10, 1);
        var e = Assert.Throws<InvalidOperationException>(() => model.SdtpPrefill(ids));
        Assert.Contains("GeneratedTinyLlama was compiled for [SdtpModel(NumLayers = 5)] but its config has 3 layers", e.Message);
    }

    [Fact]
    public void Trainer_and_marker_drive_the_generated_forwards()
    {
        var config = TinyModels.Config(layers: 5);
        using var model = Build(c => new GeneratedTinyLlama(c), 5, 30);
        var random = new Random(3);
        var samples = Enumerable.Range(0, 4).Select(_ =>
        {
            var ids = Enumerable.Range(0, 20).Select(_ => (long)random.Next(3, 50)).ToArray();
            return SaliencyMarker.MarkSample(model, ids, ids.Select((_, i) => i >= 17).ToArray());
        }).ToList();
        var before = model.SdtpHeads.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var trainer = HeadTrainer.For(model, new HeadTrainerOptions { Steps = 5, Seed = 1 });
        var losses = trainer.Train(samples);
        Assert.Equal(5, losses.Count);
        Assert.Contains(model.SdtpHeads.state_dict(), kv => !kv.Value.equal(before[kv.Key]).all().item<bool>());
    }

    private static Tensor LeftPadding(int batch, int length)
    {
        var mask = ones(batch, length, dtype: ScalarType.Int64);
        for (int row = 1; row < batch; row++) mask[row].narrow(0, 0, 5 * row).fill_(0);
        return mask;
    }
}
