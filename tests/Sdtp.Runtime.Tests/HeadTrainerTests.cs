using Sdtp.Checkpoints;
using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

public class HeadTrainerTests(ITestOutputHelper output)
{
    private static readonly PruningSchedule Schedule = PruningSchedule.Explicit([new(1, 0.7), new(2, 0.7)], new AlwaysKeepTokens(2, 0.1));

    private static List<MarkedSample> Samples(LlamaForCausalLM model, int count, int seed, int length = 24)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var ids = Enumerable.Range(0, length).Select(_ => (long)random.Next(3, 50)).ToArray();
            var targets = Enumerable.Range(0, length).Select(i => i >= length - 4).ToArray();
            return SaliencyMarker.MarkSample(model, Schedule, ids, targets);
        }).ToList();
    }

    private static SaliencyHeads NewHeads(LlamaForCausalLM model, long seed)
    {
        manual_seed(seed);
        return new SaliencyHeads(Schedule, model.Config.HiddenSize, CPU);
    }

    private static double HeldOutPairwiseAccuracy(LlamaForCausalLM model, SaliencyHeads heads, IReadOnlyList<MarkedSample> samples, int stage)
    {
        using var noGrad = no_grad();
        var accuracies = new List<double>();
        foreach (var sample in samples)
        {
            using var scope = NewDisposeScope();
            var ids = tensor(sample.Ids).unsqueeze(0);
            var hidden = model.Embed(ids);
            var rope = model.RotaryFor(arange(sample.Ids.Length).unsqueeze(0));
            for (int layer = 0; layer < Schedule.Stages[stage].Layer; layer++) hidden = model.Layers[layer].Forward(hidden, rope, null, null);
            var scores = heads.ForStage(stage).Score(hidden)[0].data<float>().ToArray();
            accuracies.Add(RankingAgreement.PairwiseAccuracy(scores, sample.Saliency[stage]));
        }
        return accuracies.Average();
    }

    [Fact]
    public void Training_on_the_marked_saliency_beats_training_on_shuffled_saliency_with_a_frozen_backbone()
    {
        using var model = TinyModels.Random(TinyModels.Config(layers: 3));
        // A random model's saliency is mostly noise among non-target tokens. Plant a learnable regularity: tokens
        // 3..15 get 8x larger embeddings, so gradient x input tends to be larger for them. The control trains the same
        // heads, same seed and steps, on the same samples with each stage's saliency shuffled across positions: what
        // it learns is only what the loss terms teach without the targets, so the real heads must beat it on
        // held-out samples. The metric counts all pairs, so the loss here does too (RankMinSaliency = 0).
        using (no_grad()) model.Body.EmbedTokens.weight!.narrow(0, 3, 13).mul_(8);
        var train = Samples(model, 48, seed: 1);
        var shuffled = train.Select((s, i) => new MarkedSample(s.Ids, s.Targets, s.Saliency.Select(stage => Shuffle(stage, i)).ToArray())).ToList();
        var heldOut = Samples(model, 16, seed: 2);
        var backbone = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var options = new HeadTrainerOptions { Steps = 240, LearningRate = 3e-3, Seed = 3, RankMinSaliency = 0 };

        using var heads = NewHeads(model, 5);
        using var trainer = new HeadTrainer(model, Schedule, heads, options);
        var losses = trainer.Train(train);
        using var control = NewHeads(model, 5);
        using (var controlTrainer = new HeadTrainer(model, Schedule, control, options)) controlTrainer.Train(shuffled);

        for (int stage = 0; stage < Schedule.Stages.Count; stage++)
        {
            double real = HeldOutPairwiseAccuracy(model, heads, heldOut, stage), chance = HeldOutPairwiseAccuracy(model, control, heldOut, stage);
            output.WriteLine($"stage {stage}: held-out pairwise accuracy {real:F3}, shuffled-target control {chance:F3}");
            Assert.True(real > chance + 0.03, $"stage {stage}: trained heads {real:F3} vs shuffled-target control {chance:F3}");
        }
        Assert.True(losses.TakeLast(20).Average(l => l.Rank) < losses.Take(20).Average(l => l.Rank));
        foreach (var (name, p) in model.named_parameters())
        {
            Assert.True(p.equal(backbone[name]).all().item<bool>(), $"backbone weight {name} changed");
            Assert.True(p.requires_grad, $"{name}: requires_grad not restored");
        }
    }

    private static float[] Shuffle(float[] values, int seed)
    {
        var copy = (float[])values.Clone();
        new Random(seed).Shuffle(copy);
        return copy;
    }

    [Fact]
    public void Every_loss_term_reaches_the_heads_and_the_total_is_their_weighted_sum()
    {
        using var model = TinyModels.Random(TinyModels.Config(layers: 3));
        var sample = Samples(model, 1, seed: 4)[0];
        using var heads = NewHeads(model, 6);
        foreach (var p in model.parameters()) p.requires_grad = false;
        LossWeights[] single = [new(1, 0, 0, 0), new(0, 1, 0, 0), new(0, 0, 1, 0), new(0, 0, 0, 1)];
        double sumOfParts = 0;
        foreach (var weights in single)
        {
            using var trainer = new HeadTrainer(model, Schedule, heads, new HeadTrainerOptions { Weights = weights, Seed = 1 });
            heads.zero_grad();
            var (total, _) = trainer.Loss(sample, step: 0);
            total.backward();
            sumOfParts += total.item<float>();
            // Every head must receive gradient from every term (for L_lm through the straight-through masks).
            for (int stage = 0; stage < Schedule.Stages.Count; stage++)
            {
                var grad = heads.ForStage(stage).Fc1.weight!.grad;
                Assert.True(grad is not null && grad.abs().sum().item<float>() > 0, $"{weights}: no gradient reached stage {stage}'s head");
            }
            total.Dispose();
        }
        using var all = new HeadTrainer(model, Schedule, heads, new HeadTrainerOptions { Weights = new(1, 1, 1, 1), Seed = 1 });
        var (combined, terms) = all.Loss(sample, step: 0);
        Assert.Equal(sumOfParts, terms.Total, 4);
        Assert.True(terms.Mse > 0 && terms.Rank > 0 && terms.Lm > 0);
        combined.Dispose();
    }

    [Fact]
    public void The_trainer_fits_each_stage_to_the_saliency_carried_forward_from_earlier_stages()
    {
        using var model = TinyModels.Random(TinyModels.Config(layers: 3));
        var sample = Samples(model, 1, seed: 5)[0];
        var carried = new MarkedSample(sample.Ids, sample.Targets,
            sample.Saliency.Select((_, s) => RankableTargets.CarriedForward(sample.Saliency, s)).ToArray());
        Assert.False(carried.Saliency[1].SequenceEqual(sample.Saliency[1])); // the test means something only if they differ
        using var heads = NewHeads(model, 8);
        double MseLoss(MarkedSample marked, bool carry)
        {
            using var trainer = new HeadTrainer(model, Schedule, heads, new HeadTrainerOptions { Weights = new(0, 1, 0, 0), Seed = 1, CarryEarlierSaliency = carry });
            var (total, terms) = trainer.Loss(marked, step: 0);
            total.Dispose();
            return terms.Mse;
        }
        Assert.Equal(MseLoss(carried, carry: false), MseLoss(sample, carry: true), 6);
        Assert.NotEqual(MseLoss(sample, carry: false), MseLoss(sample, carry: true), 6);
    }

    [Fact]
    public void Soft_forward_with_every_token_kept_equals_the_model_with_its_final_norm()
    {
        using var model = TinyModels.Random(TinyModels.Config(layers: 3));
        using var heads = NewHeads(model, 7);
        using (no_grad())
            for (int s = 0; s < Schedule.Stages.Count; s++)
                heads.ForStage(s).Fc2.bias!.copy_(tensor(new float[] { 100, -100 })); // keep logit >> drop logit
        using var ids = tensor(Enumerable.Range(3, 20).Select(i => (long)i).ToArray()).unsqueeze(0);
        using var generator = new Generator(1, CPU);
        var soft = SoftPrunedForward.Run(model, Schedule, heads, ids, 1.0, generator);
        using var dense = model.Forward(ids, allLogits: true);
        Assert.All(soft.CumulativeKeep, k => Assert.Equal(20f, k.sum().item<float>()));
        Assert.True(soft.Logits.allclose(dense, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Saliency_from_another_sample_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new MarkedSample([1, 2, 3], [false, false, true], [[0.1f, 0.2f]]));
        Assert.Contains("saliency of stage 0 has 2 entries for 3 ids: it belongs to another sample", e.Message);
    }

    [Fact]
    public void Several_samples_per_step_train_reproducibly_and_differ_from_one()
    {
        using var model = TinyModels.Random(TinyModels.Config(layers: 3));
        var samples = Samples(model, 6, seed: 10);
        Dictionary<string, Tensor> Trained(int perStep)
        {
            using var heads = NewHeads(model, 11);
            using var trainer = new HeadTrainer(model, Schedule, heads, new HeadTrainerOptions { Steps = 3, Seed = 2, SamplesPerStep = perStep });
            var progress = new List<TrainingProgress>();
            var history = trainer.Train(samples, progress.Add);
            Assert.Equal([1, 2, 3], progress.Select(p => p.Step));
            Assert.All(history, h => Assert.True(double.IsFinite(h.Total) && h.Total > 0));
            return heads.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        }
        var first = Trained(2);
        var again = Trained(2);
        var single = Trained(1);
        Assert.All(first, kv => Assert.True(kv.Value.equal(again[kv.Key]).all().item<bool>(), $"{kv.Key}: same seed, different heads"));
        Assert.Contains(first, kv => !kv.Value.equal(single[kv.Key]).all().item<bool>());

        using var heads = NewHeads(model, 11);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new HeadTrainer(model, Schedule, heads, new HeadTrainerOptions { SamplesPerStep = 0 }));
        Assert.Contains("SamplesPerStep", e.Message);
    }

    [Fact]
    public void A_resumed_run_ends_bit_identical_to_an_uninterrupted_one()
    {
        using var model = TinyModels.Random(TinyModels.Config(layers: 3));
        var samples = Samples(model, 6, seed: 9);
        using var dir = new TempDirectory();
        var checkpoint = dir.File("ckpt");
        HeadTrainerOptions Options(string? ckpt) => new() { Steps = 12, Seed = 4, CheckpointDirectory = ckpt, CheckpointEvery = 5 };

        using var straight = NewHeads(model, 10);
        using (var trainer = new HeadTrainer(model, Schedule, straight, Options(null))) trainer.Train(samples);

        using var interrupted = NewHeads(model, 10);
        using (var cancel = new CancellationTokenSource())
        using (var trainer = new HeadTrainer(model, Schedule, interrupted, Options(checkpoint)))
            trainer.Train(samples, p => { if (p.Step == 7) cancel.Cancel(); }, cancel.Token);
        Assert.True(TrainingCheckpoint.Exists(checkpoint));

        using var resumed = NewHeads(model, 99); // different init: everything must come from the checkpoint
        using (var trainer = new HeadTrainer(model, Schedule, resumed, Options(checkpoint)))
        {
            Assert.True(trainer.TryResume());
            Assert.Equal(7, trainer.StepsDone);
            trainer.Train(samples);
            Assert.Equal(12, trainer.StepsDone);
        }
        foreach (var (name, p) in straight.state_dict())
            Assert.True(p.equal(resumed.state_dict()[name]).all().item<bool>(), $"{name} differs after resume");
        Assert.DoesNotContain(Directory.GetDirectories(dir.Path), d => Path.GetFileName(d).StartsWith('.')); // no staging left
    }

    [Fact]
    public void A_checkpoint_of_other_options_or_samples_is_refused_naming_both_values()
    {
        using var model = TinyModels.Random(TinyModels.Config(layers: 3));
        var samples = Samples(model, 4, seed: 2);
        using var dir = new TempDirectory();
        var checkpoint = dir.File("ckpt");
        using var heads = NewHeads(model, 1);
        using (var trainer = new HeadTrainer(model, Schedule, heads, new() { Steps = 2, CheckpointDirectory = checkpoint })) trainer.Train(samples);

        using (var longer = new HeadTrainer(model, Schedule, heads, new() { Steps = 5, LearningRate = 0.02, CheckpointDirectory = checkpoint }))
        {
            var e = Assert.Throws<CheckpointException>(() => longer.TryResume());
            Assert.Contains("learning_rate 0.01 (this run: 0.02)", e.Message);
            Assert.Contains("steps 2 (this run: 5)", e.Message);
        }
        using (var same = new HeadTrainer(model, Schedule, heads, new() { Steps = 2, CheckpointDirectory = checkpoint }))
        {
            Assert.True(same.TryResume());
            Assert.True(same.Finished);
            Assert.Empty(same.Train(samples)); // nothing left to do, and no error
            var e = Assert.Throws<ArgumentException>(() => same.Train(Samples(model, 4, seed: 3)));
            Assert.Contains("the checkpoint was trained on other samples (4 samples, ", e.Message);
        }
    }

    [Fact]
    public void Leftovers_of_a_killed_save_are_recovered_or_removed()
    {
        using var model = TinyModels.Random(TinyModels.Config(layers: 3));
        var samples = Samples(model, 4, seed: 2);
        using var dir = new TempDirectory();
        var checkpoint = dir.File("ckpt");
        HeadTrainerOptions Options(int steps) => new() { Steps = steps, CheckpointDirectory = checkpoint };
        using var heads = NewHeads(model, 1);
        using (var trainer = new HeadTrainer(model, Schedule, heads, Options(3))) trainer.Train(samples);

        // Killed between the two renames: the checkpoint moved aside as .old, the new one still staged as .tmp.
        var old = dir.File(".ckpt.0000.old");
        Directory.Move(checkpoint, old);
        var staged = dir.File(".ckpt.1111.tmp");
        CopyDirectory(old, staged);
        Directory.CreateDirectory(dir.File(".ckpt.2222.tmp")); // a staging folder killed before it was complete
        File.WriteAllText(Path.Combine(staged, ".optimizer.bin.3333.tmp"), "half a write"); // an atomic write killed inside it

        using (var resumed = new HeadTrainer(model, Schedule, heads, Options(3)))
        {
            Assert.True(resumed.TryResume());
            Assert.Equal(3, resumed.StepsDone);
        }
        Assert.Equal(["ckpt"], Directory.GetDirectories(dir.Path).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(checkpoint, ".*"));
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
