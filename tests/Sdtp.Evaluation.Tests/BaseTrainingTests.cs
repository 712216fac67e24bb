using System.Text.Json.Nodes;
using Sdtp.Checkpoints;
using Sdtp.Evaluation.BaseTraining;
using Sdtp.Evaluation.Tasks;
using Sdtp.Evaluation.Tasks.Ruler;
using Sdtp.Tokenization;

namespace Sdtp.Evaluation.Tests;

public class BaseTrainingTests
{
    [Fact]
    public void Train_base_writes_a_loadable_checkpoint_and_resumes_from_it()
    {
        var dir = Path.Combine(Path.GetTempPath(), "sdtp-base-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new BaseTrainingOptions { Lengths = [96], MaxKeys = [2], BatchSize = 4, CheckEvery = 2, CheckSamples = 1, MaxSteps = 4, WarmupSteps = 2 };
            var progress = new List<BaseTrainingProgress>();
            var check = new BaseModelTrainer(options).Train(dir, progress.Add);
            Assert.Equal(4, progress[^1].Step);
            Assert.Equal(["passkey", "multikey", "multivalue"], check.Keys);
            Assert.All(progress, p => Assert.True(double.IsFinite(p.Loss) && p.Loss > 0));
            Assert.Equal(4, JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "training", "state.json")))!["step"]!.GetValue<int>());
            using (var model = HuggingFaceCheckpoint.Load(dir, TorchSharp.torch.CPU))
                Assert.Equal(BaseModelTrainer.DefaultConfig.NumHiddenLayers, model.Layers.Count);
            Assert.True(File.Exists(Path.Combine(dir, "sdtp_tokenizer.json")));

            var resumed = new List<BaseTrainingProgress>();
            new BaseModelTrainer(options with { MaxSteps = 6 }).Train(dir, resumed.Add);
            Assert.Equal([5, 6], resumed.Select(p => p.Step));

            // What the run trains on cannot change on resume; the limits and the rate may.
            var error = Assert.Throws<ArgumentException>(() => new BaseModelTrainer(options with { MaxSteps = 8, Lengths = [128], Seed = 9 }).Train(dir));
            Assert.Contains("the run in training/ was started with --lengths 96 (this command: 128), --seed 7 (this command: 9)", error.Message);
            Assert.Equal(6, JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "training", "state.json")))!["step"]!.GetValue<int>());

            // Rerunning the finished command trains nothing and says so; a write killed mid-way leaves nothing behind.
            File.WriteAllText(Path.Combine(dir, "training", ".optimizer.bin.0123.tmp"), "half a write");
            var again = new BaseModelTrainer(options with { MaxSteps = 6 });
            var steps = new List<BaseTrainingProgress>();
            again.Train(dir, steps.Add);
            Assert.True(again.Finished);
            Assert.Empty(steps);
            Assert.Equal(6, BaseModelTrainer.StepReached(dir));
            Assert.Empty(Directory.GetFiles(Path.Combine(dir, "training"), ".*.tmp"));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_ruler_mixture_trains_a_given_architecture_on_training_phrasings_and_checks_every_family()
    {
        var dir = Path.Combine(Path.GetTempPath(), "sdtp-base-" + Guid.NewGuid().ToString("N"));
        try
        {
            var config = BaseModelTrainer.DefaultConfig with { HiddenSize = 32, IntermediateSize = 64, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 8 };
            var options = new BaseTrainingOptions
            {
                Mixture = TrainingMixture.Ruler, Config = config, Lengths = [160], MaxKeys = [3], BatchSize = 2,
                CheckEvery = 2, CheckSamples = 1, MaxSteps = 2, WarmupSteps = 1, MultiKeyQuestions = 2, KeyDrill = [0.5],
            };
            var trainer = new BaseModelTrainer(options);
            Assert.All(trainer.TrainingTasks(3), t => Assert.DoesNotContain(t, Sdtp.Evaluation.Tasks.Ruler.RulerSuite.HeldOut));
            Assert.Equal(2, trainer.TrainingTasks(3).Count(t => !t.IsRetrieval)); // prose and grammar language modelling
            var check = trainer.Train(dir);
            // With a key drill in the mix, the checks score it after the families.
            Assert.Equal(["niah_single@train", "niah_multikey@train", "niah_multivalue@train", "niah_multiquery@train", "vt@train", "kv_drill@train"], check.Keys);
            using var model = HuggingFaceCheckpoint.Load(dir, TorchSharp.torch.CPU);
            Assert.Equal(32, model.Config.HiddenSize);
            Assert.Equal(2, model.Config.NumKeyValueHeads);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_multikey_training_sequence_asks_several_questions_about_one_context()
    {
        var sample = new MultiKeyTask(4, 4).Generate(300, 0.5, new Random(3));
        var trainer = new BaseModelTrainer(new BaseTrainingOptions { MultiKeyQuestions = 3, ContextLossWeight = 0.1 });
        var (ids, weights, _) = trainer.TrainingSequence(sample);

        var tokenizer = new ByteTokenizer();
        var text = tokenizer.Decode(ids.Skip(1).SkipLast(1).ToList()); // without BOS and EOS
        var expected = sample.Prompt + sample.Answer
            + string.Concat(sample.OtherQueries.Take(2).Select(q => ". " + q.Prompt[sample.QuestionStart..] + q.Answer));
        Assert.Equal(expected, text);
        Assert.StartsWith("What is the code for ", sample.Prompt[sample.QuestionStart..]);
        // Weight 1 on exactly the three answers' characters and EOS, the context weight elsewhere.
        var answered = string.Concat(ids.Zip(weights).Where(p => p.Second == 1f && p.First != tokenizer.EosId).Select(p => (char)(p.First - ByteTokenizer.ByteOffset)));
        Assert.Equal(sample.Answer + sample.OtherQueries[0].Answer + sample.OtherQueries[1].Answer, answered);
        Assert.Equal(1f, weights[^1]);
        Assert.All(weights, w => Assert.True(w == 1f || w == 0.1f));

        var single = new BaseModelTrainer(new BaseTrainingOptions { MultiKeyQuestions = 1 }).TrainingSequence(sample);
        Assert.Equal(sample.Prompt + sample.Answer, tokenizer.Decode(single.Ids.Skip(1).SkipLast(1).ToList()));
    }

    [Fact]
    public void The_context_weight_weighs_every_prompt_token_and_is_part_of_the_run_definition()
    {
        var sample = new MultiKeyTask(4, 4).Generate(300, 0.5, new Random(3));
        var options = new BaseTrainingOptions { MultiKeyQuestions = 2, ContextLossWeight = 0.02 };
        var (ids, weights, _) = new BaseModelTrainer(options).TrainingSequence(sample);
        var (_, usual, _) = new BaseModelTrainer(options with { ContextLossWeight = 0.1 }).TrainingSequence(sample);

        // The same tokens carry weight 1 (answers, EOS); every other token carries the context weight.
        Assert.Equal(usual.Select(w => w == 1f), weights.Select(w => w == 1f));
        Assert.All(weights, w => Assert.True(w == 1f || w == 0.02f));
        Assert.Equal(ids.Length, weights.Length);
        Assert.Equal("0.02", new BaseModelTrainer(options).RunDefinition()["--context-weight"]);
        Assert.Equal("0.1", new BaseModelTrainer(new BaseTrainingOptions()).RunDefinition()["--context-weight"]);
    }

    [Fact]
    public void The_item_start_weight_weighs_the_first_token_of_every_answer_item_and_is_part_of_the_run_definition()
    {
        var sample = new MultiValueNeedleTask(TemplateSplit.Training).Generate(400, 0.5, new Random(5));
        var options = new BaseTrainingOptions { Mixture = TrainingMixture.Ruler, Lengths = [512], MaxKeys = [4], ContextLossWeight = 0.1, ItemStartWeight = 8 };
        var (ids, weights, _) = new BaseModelTrainer(options).TrainingSequence(sample);

        // The answer is the last tokens before EOS; each item's first character weighs 8, its other characters,
        // the separators and the leading space 1.
        var answer = new ByteTokenizer().Encode(sample.Answer);
        var answerWeights = weights[^(answer.Count + 1)..^1];
        var starts = sample.Answer.Select((c, i) => (c, i)).Where(p => p.c != ' ' && p.c != ',' && (sample.Answer[p.i - 1] == ' ')).Select(p => p.i).ToList();
        Assert.Equal(sample.Expected.Count, starts.Count);
        Assert.Equal(Enumerable.Range(0, answer.Count).Select(i => starts.Contains(i) ? 8f : 1f), answerWeights);
        Assert.Equal("8", new BaseModelTrainer(options).RunDefinition()["--item-start-weight"]);
        // At 1 (the default) the weights are what they were before the option.
        var (_, plain, _) = new BaseModelTrainer(options with { ItemStartWeight = 1 }).TrainingSequence(sample);
        Assert.All(plain[^(answer.Count + 1)..], w => Assert.Equal(1f, w));
        // A language-modelling continuation has no items: its commas start nothing.
        var prose = new ProseLanguageModelingTask(TemplateSplit.Training).Generate(400, double.NaN, new Random(6));
        Assert.Contains(", ", prose.Answer);
        var (_, proseWeights, _) = new BaseModelTrainer(options).TrainingSequence(prose);
        Assert.All(proseWeights[^(prose.Answer.Length + 1)..], w => Assert.Equal(1f, w));
    }

    [Theory]
    [InlineData(new[] { 2, 3 }, new double[0], "MaxKeys has 2 entries for 1 stages")]
    [InlineData(new[] { 2 }, new[] { 0.5, 0.2 }, "RestatedCues has 2 entries for 1 stages")]
    [InlineData(new[] { 2 }, new[] { -0.1 }, "RestatedCues must lie in [0, 1] (got -0.1)")]
    [InlineData(new[] { 2 }, new[] { 0.5 }, "AdjacentNeedles has 2 entries for 1 stages", true)]
    public void Per_stage_options_that_do_not_fit_the_stages_are_refused(int[] maxKeys, double[] restated, string message, bool twoAdjacentShares = false)
    {
        var options = new BaseTrainingOptions
        {
            Mixture = TrainingMixture.Ruler, Lengths = [256], MaxKeys = maxKeys, RestatedCues = restated, AdjacentNeedles = twoAdjacentShares ? [0.5, 0.5] : [],
        };
        Assert.StartsWith(message, Assert.Throws<ArgumentException>(() => new BaseModelTrainer(options)).Message);
    }

    [Fact]
    public void Task_weights_change_how_often_each_task_is_drawn_and_are_part_of_the_run()
    {
        var options = new BaseTrainingOptions { Mixture = TrainingMixture.Ruler, Lengths = [256], MaxKeys = [4], TaskWeights = new Dictionary<string, double> { ["vt"] = 4, ["lm"] = 0 } };
        var trainer = new BaseModelTrainer(options);
        var tasks = trainer.TrainingTasks(4);
        var random = new Random(3);
        var counts = Enumerable.Range(0, 6000).Select(_ => BaseModelTrainer.WeightName(trainer.DrawTask(tasks, random))).CountBy(n => n).ToDictionary();
        // Weights: single 1, multi-key 2, multi-value 2, multi-query 2, vt 4, prose lm 1, grammar lm 0 (12 in all).
        Assert.False(counts.ContainsKey("lm"));
        Assert.InRange(counts["vt"] / 6000.0, 4 / 12.0 - 0.03, 4 / 12.0 + 0.03);
        Assert.InRange(counts["niah_single"] / 6000.0, 1 / 12.0 - 0.02, 1 / 12.0 + 0.02);
        Assert.InRange(counts["niah_multivalue"] / 6000.0, 2 / 12.0 - 0.03, 2 / 12.0 + 0.03);
        Assert.Equal("lm=0 vt=4", trainer.RunDefinition()["--task-weights"]);
        Assert.Equal("", new BaseModelTrainer(options with { TaskWeights = new Dictionary<string, double>() }).RunDefinition()["--task-weights"]);
    }

    [Theory]
    [InlineData("passkey", 1, "no task 'passkey' in this mixture (its tasks: niah_single, niah_multikey, niah_multivalue, niah_multiquery, vt, lm_prose, lm)")]
    [InlineData("vt", -1, "the weight of 'vt' must be a finite number >= 0 (got -1)")]
    [InlineData("vt", double.NaN, "the weight of 'vt' must be a finite number >= 0")]
    public void Task_weights_that_name_no_task_or_are_not_a_weight_are_refused(string name, double weight, string message)
    {
        var options = new BaseTrainingOptions { Mixture = TrainingMixture.Ruler, Lengths = [256], MaxKeys = [4], TaskWeights = new Dictionary<string, double> { [name] = weight } };
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => new BaseModelTrainer(options)).Message);
    }

    [Fact]
    public void Packed_rows_keep_each_rows_first_sample_and_fill_the_room_up_to_the_longest_row_with_whole_samples()
    {
        var options = new BaseTrainingOptions { Mixture = TrainingMixture.Ruler, Lengths = [512], MaxKeys = [6], KeyDrill = [0.3], MultiKeyQuestions = 6 };
        var plain = new BaseModelTrainer(options);
        var packing = new BaseModelTrainer(options with { PackRows = true });
        double plainFill = 0, packedFill = 0;
        for (int step = 0; step < 20; step++)
        {
            var rows = plain.DrawBatch(0, new Random(step));
            var packed = packing.DrawBatch(0, new Random(step));
            Assert.Equal(8, packed.Count); // 16 rows at 256 tokens, halved at 512
            int width = rows.Max(r => r.Ids.Length);
            Assert.Equal(width, packed.Max(r => r.Ids.Length));
            for (int b = 0; b < rows.Count; b++)
            {
                // The row's own sample comes first, unchanged; what follows is whole samples, each BOS .. EOS.
                Assert.Equal(rows[b].Ids, packed[b].Ids[..rows[b].Ids.Length]);
                Assert.Equal(rows[b].Weights, packed[b].Weights[..rows[b].Weights.Length]);
                var extra = packed[b].Ids[rows[b].Ids.Length..];
                Assert.True(extra.Length == 0 || extra[0] == 1 && extra[^1] == 2, $"step {step}, row {b}: the packed samples do not run from BOS to EOS");
                Assert.Equal(extra.Count(id => id == 1), extra.Count(id => id == 2));
            }
            plainFill += rows.Sum(r => r.Ids.Length) / (double)(rows.Count * width);
            packedFill += packed.Sum(r => r.Ids.Length) / (double)(packed.Count * width);
        }
        // Measured on these draws: about 0.57 of a batch is real tokens without packing, about 0.85 with it.
        Assert.InRange(plainFill / 20, 0.45, 0.70);
        Assert.InRange(packedFill / 20, 0.78, 1.0);
        Assert.Equal("false", plain.RunDefinition()["--pack"]);
        Assert.Equal("true", packing.RunDefinition()["--pack"]);
    }

    [Fact]
    public void A_list_answer_avoids_at_each_later_item_the_token_that_would_repeat_an_earlier_one()
    {
        var tokenizer = new ByteTokenizer();
        var separator = tokenizer.Encode(", ");
        IEnumerable<(int, char)> Avoided(string answer) =>
            RepeatedItems.Avoided(tokenizer.Encode(answer), separator).Select(a => (a.Position, (char)(a.Token - ByteTokenizer.ByteOffset)));

        // "4873" parts from "4821" at its third character; "1185" from both at its first ('4' once, not twice).
        Assert.Equal([(9, '2'), (13, '4')], Avoided(" 4821, 4873, 1185"));
        Assert.Empty(Avoided(" 4821"));
        // An item that is all of an earlier one's start has no token to avoid, nor an item equal to an earlier one.
        Assert.Empty(Avoided(" ab, abc, ab"));
    }

    [Fact]
    public void Avoided_tokens_sit_on_answer_tokens_that_differ_from_them_in_single_and_packed_rows()
    {
        var options = new BaseTrainingOptions { Mixture = TrainingMixture.Ruler, Lengths = [512], MaxKeys = [6], KeyDrill = [0.3], MultiKeyQuestions = 6, PackRows = true, AvoidRepeatsWeight = 1 };
        var trainer = new BaseModelTrainer(options);
        var sample = TaskSuite.TrainingSample(TaskSuite.ByName("niah_multivalue@train"), 512, 0.3, 0);
        var row = trainer.TrainingSequence(sample);
        Assert.NotEmpty(row.Avoided);
        var rows = Enumerable.Range(0, 4).SelectMany(step => trainer.DrawBatch(0, new Random(step))).Append(row).ToList();
        Assert.Contains(rows, r => r.Avoided.Count > 0 && r.Avoided.Max(a => a.Position) > rows[0].Ids.Length / 2);
        Assert.All(rows, r => Assert.All(r.Avoided, a =>
        {
            Assert.Equal(1f, r.Weights[a.Position]);
            Assert.NotEqual(r.Ids[a.Position], a.Token);
        }));
        Assert.Equal("1", trainer.RunDefinition()["--avoid-repeats"]);
        Assert.Equal("0", new BaseModelTrainer(new BaseTrainingOptions()).RunDefinition()["--avoid-repeats"]);
    }

    [Fact]
    public void The_repeat_loss_reads_each_avoided_token_where_it_is_predicted_and_its_gradient_lowers_it()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        TorchSharp.torch.manual_seed(3);
        // Two rows of 6 tokens: logits at positions 0-4 predict tokens 1-5.
        var logits = TorchSharp.torch.randn(2, 5, 11).requires_grad_(true);
        var rows = new[] { new TrainingRow(new int[6], new float[6], [(3, 7)]), new TrainingRow(new int[6], new float[6], [(5, 2), (1, 9)]) };
        var logProbs = logits.log_softmax(-1);
        var loss = RepeatedItems.Unlikelihood(logProbs, rows);
        double P(int row, int position, int token) => logProbs[row, position - 1, token].exp().item<float>();
        var expected = new[] { P(0, 3, 7), P(1, 5, 2), P(1, 1, 9) }.Select(p => -Math.Log(1 - p)).ToArray();
        Assert.Equal(expected, loss.data<float>().Select(v => (double)v).ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);

        loss.sum().backward();
        using (TorchSharp.torch.no_grad()) logits.sub_(logits.grad! * 5);
        var after = logits.log_softmax(-1);
        Assert.True(after[0, 2, 7].item<float>() < logProbs[0, 2, 7].item<float>());
        Assert.True(after[1, 4, 2].item<float>() < logProbs[1, 4, 2].item<float>());
    }

    [Fact]
    public void Mixed_lengths_train_each_step_at_one_of_them_and_are_part_of_the_run_definition()
    {
        var options = new BaseTrainingOptions { Mixture = TrainingMixture.Ruler, Lengths = [256], MaxKeys = [4] };
        var mixed = new BaseModelTrainer(options with { MixedLengths = [256, 1024] });
        // 16 rows at 256 tokens, 4 at 1024; a row's first sample within 50% of its step's length.
        var batches = Enumerable.Range(0, 16).Select(step => mixed.DrawBatch(0, new Random(step))).ToList();
        Assert.Contains(batches, b => b.Count == 16);
        Assert.Contains(batches, b => b.Count == 4);
        Assert.All(batches.Where(b => b.Count == 4), b => Assert.True(b.Max(r => r.Ids.Length) > 450, $"{b.Max(r => r.Ids.Length)} tokens at 1024"));
        Assert.Equal("256 1024", mixed.RunDefinition()["--mix-lengths"]);

        var plain = new BaseModelTrainer(options);
        Assert.Equal("", plain.RunDefinition()["--mix-lengths"]);
        Assert.All(Enumerable.Range(0, 3), step => Assert.Equal(16, plain.DrawBatch(0, new Random(step)).Count));
    }

    [Fact]
    public void The_learning_rate_warms_up_then_stays_or_decays_to_zero()
    {
        var constant = new BaseModelTrainer(new BaseTrainingOptions { LearningRate = 1e-3, WarmupSteps = 10, MaxSteps = 110 });
        var decaying = new BaseModelTrainer(new BaseTrainingOptions { LearningRate = 1e-3, WarmupSteps = 10, MaxSteps = 110, DecayLearningRate = true });
        Assert.Equal(1e-4, constant.LearningRateAt(0), 12);
        Assert.Equal(1e-4, decaying.LearningRateAt(0), 12);
        Assert.Equal(1e-3, constant.LearningRateAt(100), 12);
        Assert.Equal(1e-3, decaying.LearningRateAt(10), 12);
        Assert.Equal(0.5e-3, decaying.LearningRateAt(60), 12);
        Assert.Equal(0.0, decaying.LearningRateAt(110), 12);
    }

    [Fact]
    public void A_passing_last_stage_stops_a_constant_rate_run_but_not_a_decaying_one()
    {
        var root = Path.Combine(Path.GetTempPath(), "sdtp-base-" + Guid.NewGuid().ToString("N"));
        try
        {
            // AdvanceAt 0: every check passes.
            var options = new BaseTrainingOptions { Lengths = [96], MaxKeys = [2], BatchSize = 2, CheckEvery = 2, CheckSamples = 1, MaxSteps = 6, WarmupSteps = 1, AdvanceAt = 0 };
            var constant = new List<BaseTrainingProgress>();
            new BaseModelTrainer(options).Train(Path.Combine(root, "constant"), constant.Add);
            Assert.Equal(2, constant[^1].Step);
            var decaying = new List<BaseTrainingProgress>();
            new BaseModelTrainer(options with { DecayLearningRate = true }).Train(Path.Combine(root, "decaying"), decaying.Add);
            Assert.Equal(6, decaying[^1].Step);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Bf16_compute_trains_and_saves_fp32_weights_with_the_loss_fp32_compute_has()
    {
        var root = Path.Combine(Path.GetTempPath(), "sdtp-base-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new BaseTrainingOptions { Lengths = [96], MaxKeys = [2], BatchSize = 4, CheckEvery = 100, CheckSamples = 1, MaxSteps = 3, WarmupSteps = 1 };
            var runs = new Dictionary<TorchSharp.torch.ScalarType, List<BaseTrainingProgress>>();
            foreach (var dtype in new[] { TorchSharp.torch.ScalarType.Float32, TorchSharp.torch.ScalarType.BFloat16 })
            {
                runs[dtype] = [];
                new BaseModelTrainer(options with { ComputeDType = dtype }).Train(Path.Combine(root, dtype.ToString()), runs[dtype].Add);
            }
            // The same seed draws the same weights and batches: the first loss differs only by bf16's rounding, and does.
            double first32 = runs[TorchSharp.torch.ScalarType.Float32][0].Loss, first16 = runs[TorchSharp.torch.ScalarType.BFloat16][0].Loss;
            Assert.NotEqual(first32, first16);
            Assert.True(Math.Abs(first16 - first32) < 0.02 * first32, $"first loss {first16} in bf16 against {first32} in fp32");
            Assert.Equal(3, runs[TorchSharp.torch.ScalarType.BFloat16].Count);
            using var saved = HuggingFaceCheckpoint.Load(Path.Combine(root, "BFloat16"), TorchSharp.torch.CPU);
            Assert.Equal(TorchSharp.torch.ScalarType.Float32, saved.DType);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_fresh_run_can_start_from_another_checkpoints_weights_in_fp32_whatever_their_dtype()
    {
        var root = Path.Combine(Path.GetTempPath(), "sdtp-base-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new BaseTrainingOptions { Lengths = [96], MaxKeys = [2], BatchSize = 2, CheckEvery = 100, CheckSamples = 1, MaxSteps = 2, WarmupSteps = 1 };
            var first = Path.Combine(root, "first");
            new BaseModelTrainer(options).Train(first);
            // At learning rate 0 AdamW changes nothing (its weight decay is scaled by the rate), so the fine-tuned
            // copy must hold exactly the weights it started from.
            var second = Path.Combine(root, "second");
            new BaseModelTrainer(options with { StartFrom = first, LearningRate = 0 }).Train(second);
            using var a = HuggingFaceCheckpoint.Load(first, TorchSharp.torch.CPU);
            using var b = HuggingFaceCheckpoint.Load(second, TorchSharp.torch.CPU);
            var bParameters = b.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, parameter) in a.named_parameters())
                Assert.True(parameter.equal(bParameters[name]).all().item<bool>(), name);

            // A bf16 checkpoint is trained, and saved, in fp32: its weights exactly, widened to fp32.
            var half = Path.Combine(root, "half");
            using (var halfModel = HuggingFaceCheckpoint.Load(first, TorchSharp.torch.CPU, TorchSharp.torch.ScalarType.BFloat16))
                HuggingFaceCheckpoint.Save(halfModel, half);
            var fromHalf = Path.Combine(root, "from-half");
            new BaseModelTrainer(options with { StartFrom = half, LearningRate = 0 }).Train(fromHalf);
            using var h = HuggingFaceCheckpoint.Load(half, TorchSharp.torch.CPU);
            using var f = HuggingFaceCheckpoint.Load(fromHalf, TorchSharp.torch.CPU);
            Assert.Equal(TorchSharp.torch.ScalarType.BFloat16, h.DType);
            Assert.Equal(TorchSharp.torch.ScalarType.Float32, f.DType);
            var fParameters = f.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, parameter) in h.named_parameters())
                Assert.True(parameter.to_type(TorchSharp.torch.ScalarType.Float32).equal(fParameters[name]).all().item<bool>(), name);

            var missing = Path.Combine(root, "none");
            var error = Assert.Throws<FileNotFoundException>(() => new BaseModelTrainer(options with { StartFrom = missing }).Train(Path.Combine(root, "third")));
            Assert.Contains(missing, error.Message);
            Assert.False(Directory.Exists(Path.Combine(root, "third"))); // nothing written before the check
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
