using System.Text.Json;
using System.Text.Json.Nodes;
using Sdtp.Checkpoints;
using Sdtp.Evaluation.Tasks;
using Sdtp.Evaluation.Tasks.Ruler;
using Sdtp.Modeling;
using Sdtp.Tokenization;
using Sdtp.Training;
using static TorchSharp.torch;

namespace Sdtp.Evaluation.BaseTraining;

/// <summary>How the embedded default model is trained (train-base). Defaults are the recipe the shipped model used.</summary>
public sealed record BaseTrainingOptions
{
    /// <summary>Prompt lengths of the curriculum stages, in tokens.</summary>
    public IReadOnlyList<int> Lengths { get; init; } = [128, 256, 512, 1024];
    /// <summary>
    /// When given, each step trains at one of these lengths, drawn uniformly, instead of its stage's (the checks stay at
    /// the stage's): one mixture over several lengths, so that training one length does not drift off another.
    /// </summary>
    public IReadOnlyList<int> MixedLengths { get; init; } = [];
    /// <summary>Most multi-key needles per sample at each stage (fewer keys first: without this they did not learn).</summary>
    public IReadOnlyList<int> MaxKeys { get; init; } = [2, 3, 4, 6];
    /// <summary>
    /// Share of single-needle and multi-key training samples at each stage whose question ends by restating the asked
    /// needle up to its value (<see cref="TrainingBridge.RestatedCueShare"/>); empty is none. Checks never restate.
    /// </summary>
    public IReadOnlyList<double> RestatedCues { get; init; } = [];
    /// <summary>
    /// Share of key-value training samples at each stage whose needles put the value right after the key
    /// (<see cref="TrainingBridge.AdjacentNeedleShare"/>); empty is none. Checks never use them.
    /// </summary>
    public IReadOnlyList<double> AdjacentNeedles { get; init; } = [];
    /// <summary>
    /// Share of training samples at each stage drawn from the key-lookup drill (<see cref="KeyValueDrillTask"/>) instead
    /// of the mixture; empty is none. When any stage has one, the curriculum checks score the drill too.
    /// </summary>
    public IReadOnlyList<double> KeyDrill { get; init; } = [];
    /// <summary>The kinds of table the key drill draws (<see cref="DrillForm"/>); the three key tables by default.</summary>
    public IReadOnlyList<DrillForm> DrillForms { get; init; } = KeyValueDrillTask.DefaultForms;
    /// <summary>
    /// How often training draws each task, by name without the training suffix (<c>niah_multivalue</c>, <c>vt</c>,
    /// <c>lm_prose</c>, <c>lm</c>); a task not named keeps <see cref="BaseModelTrainer.DefaultDrawWeight"/>. Empty draws
    /// as the recipe always has.
    /// </summary>
    public IReadOnlyDictionary<string, double> TaskWeights { get; init; } = new Dictionary<string, double>();
    /// <summary>
    /// Fill each batch row up to the batch's longest sequence with further samples, one after another (each from BOS to
    /// EOS), instead of padding it: a step then trains on about half again as many answers for the same compute.
    /// </summary>
    public bool PackRows { get; init; }
    /// <summary>Exact match every retrieval task must reach before the next stage.</summary>
    public double AdvanceAt { get; init; } = 0.9;
    /// <summary>Most steps at one stage: past it the curriculum moves on even if a task lags (the final check still reports it).</summary>
    public int MaxStepsPerStage { get; init; } = 1500;
    /// <summary>Steps between curriculum checks.</summary>
    public int CheckEvery { get; init; } = 50;
    /// <summary>Samples per task in a curriculum check.</summary>
    public int CheckSamples { get; init; } = 24;
    /// <summary>Sequences per step at the first stage (halved each time the length doubles past 256, at least 2).</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>AdamW learning rate.</summary>
    public double LearningRate { get; init; } = 2e-3;
    /// <summary>Steps of linear warm-up.</summary>
    public int WarmupSteps { get; init; } = 100;
    /// <summary>Weight of the next-token loss on non-answer tokens (answer tokens weigh 1).</summary>
    public double ContextLossWeight { get; init; } = 0.1;
    /// <summary>
    /// Weight of the next-token loss on the first token of each item of a retrieval answer (the digit or letter that
    /// starts <c>4821</c> in <c>" 4821, 7730"</c>; not language modelling's continuations), other answer tokens weighing
    /// 1: the one token where a model chooses which value to write. Once an item is begun, copying the rest is nearly
    /// free (a few hundredths of a nat per token), so that choice is what an answer's loss hardly weighs and what a
    /// wrong answer gets wrong.
    /// </summary>
    public double ItemStartWeight { get; init; } = 1;

    /// <summary>
    /// Weight of the unlikelihood loss, -log(1 - p), on each token that would start repeating an earlier item of a list
    /// answer (<see cref="RepeatedItems"/>), as an answer token's next-token loss weighs 1; 0 trains without it.
    /// </summary>
    public double AvoidRepeatsWeight { get; init; }
    /// <summary>Stop after this many steps whatever the curriculum says.</summary>
    public int MaxSteps { get; init; } = 6000;
    /// <summary>Stop after this long.</summary>
    public TimeSpan MaxTime { get; init; } = TimeSpan.FromMinutes(60);
    /// <summary>Seed of weights, data order and sampling.</summary>
    public int Seed { get; init; } = 7;
    /// <summary>
    /// Questions asked after each multi-key training context (the asked key's first, then other keys', each followed
    /// by its answer): one context then teaches several retrievals for the price of one forward. 1 = one question.
    /// </summary>
    public int MultiKeyQuestions { get; init; } = 1;
    /// <summary>
    /// Decay the learning rate linearly to zero at <see cref="MaxSteps"/> (after warm-up), and train the last stage to
    /// <see cref="MaxSteps"/> even once it passes; false keeps the rate constant and stops when the last stage passes.
    /// </summary>
    public bool DecayLearningRate { get; init; }
    /// <summary>A checkpoint directory whose weights a fresh run starts from (fine-tuning); null starts from random weights. Ignored when resuming.</summary>
    public string? StartFrom { get; init; }
    /// <summary>
    /// Start from <see cref="StartFrom"/> made this many times wider (<see cref="ModelWidening"/>: same function, more
    /// heads, width and SwiGLU units); 1 keeps its architecture.
    /// </summary>
    public int WidenBy { get; init; } = 1;
    /// <summary>
    /// Decoder layers added to <see cref="StartFrom"/>'s model, after any widening, each starting as an identity
    /// (<see cref="ModelDeepening"/>: same function, more depth); 0 keeps its depth.
    /// </summary>
    public int AddLayers { get; init; }
    /// <summary>The architecture of a fresh run from random weights; null is <see cref="BaseModelTrainer.DefaultConfig"/>.</summary>
    public ModelConfig? Config { get; init; }
    /// <summary>What the model is trained on.</summary>
    public TrainingMixture Mixture { get; init; } = TrainingMixture.Templates;
    /// <summary>
    /// The dtype each step computes in: fp32, or bf16 through a copy of the fp32 weights (<see cref="MixedPrecisionCopy"/>).
    /// The weights, the optimizer and the checks stay in fp32.
    /// </summary>
    public ScalarType ComputeDType { get; init; } = ScalarType.Float32;

    /// <summary>Throws unless <paramref name="shares"/> (the option <paramref name="name"/>) is empty or one share in [0, 1] per stage.</summary>
    public static void CheckStageShares(string name, IReadOnlyList<double> shares, int stages)
    {
        if (shares.Count != 0 && shares.Count != stages)
            throw new ArgumentException($"{name} has {shares.Count} entries for {stages} stages: give one per length, or none");
        if (shares.Any(r => r is < 0 or > 1 || double.IsNaN(r)))
            throw new ArgumentException($"{name} must lie in [0, 1] (got {string.Join(' ', shares)})");
    }
}

/// <summary>The data a base model is trained on.</summary>
public enum TrainingMixture
{
    /// <summary>The template tasks (passkey, multikey, multivalue, grammar lm): one phrasing each.</summary>
    Templates,

    /// <summary>
    /// The RULER-like families on their training phrasings, over grammar and prose haystacks, plus language modelling on
    /// grammar and on prose; curriculum checks on the validation stream.
    /// </summary>
    Ruler,
}

/// <summary>One line of training progress.</summary>
public sealed record BaseTrainingProgress(int Step, int Stage, int Length, double Loss, IReadOnlyDictionary<string, double>? Check, TimeSpan Elapsed);

/// <summary>
/// Trains the small byte-level LLaMA-style model of the demo on the retrieval tasks' training splits and natural
/// text, with a length curriculum (128 -> 256 -> 512 -> 1024 tokens, advancing when every retrieval task reaches the
/// threshold). Checkpoints (weights, optimizer, step, stage) are written atomically, and a run resumes from them.
/// </summary>
public sealed class BaseModelTrainer
{
    /// <summary>The architecture of the embedded default: 8 layers, d = 128, 4 heads, SwiGLU 352, byte vocabulary.</summary>
    public static ModelConfig DefaultConfig { get; } = new()
    {
        ModelType = "llama",
        HiddenSize = 128,
        IntermediateSize = 352,
        NumHiddenLayers = 8,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 4,
        HeadDim = 32,
        VocabSize = ByteTokenizer.VocabSize,
        RmsNormEps = 1e-5,
        RopeTheta = 10000,
        MaxPositionEmbeddings = 4096,
        TieWordEmbeddings = false,
        BosTokenId = 1,
        EosTokenIds = [2],
    };

    private readonly BaseTrainingOptions options;
    private readonly ByteTokenizer tokenizer = new();
    private readonly KeyValueDrillTask keyDrill;

    /// <summary>A trainer with <paramref name="options"/>.</summary>
    public BaseModelTrainer(BaseTrainingOptions? options = null)
    {
        this.options = options ?? new BaseTrainingOptions();
        int stages = this.options.Lengths.Count;
        if (this.options.MaxKeys.Count != stages)
            throw new ArgumentException($"MaxKeys has {this.options.MaxKeys.Count} entries for {stages} stages: give one per length", nameof(options));
        BaseTrainingOptions.CheckStageShares(nameof(BaseTrainingOptions.RestatedCues), this.options.RestatedCues, stages);
        BaseTrainingOptions.CheckStageShares(nameof(BaseTrainingOptions.AdjacentNeedles), this.options.AdjacentNeedles, stages);
        BaseTrainingOptions.CheckStageShares(nameof(BaseTrainingOptions.KeyDrill), this.options.KeyDrill, stages);
        CheckTaskWeights(this.options.TaskWeights, TrainingTasks(this.options.MaxKeys[0]));
        keyDrill = new KeyValueDrillTask(TemplateSplit.Training, this.options.DrillForms);
    }

    private static double ShareAt(IReadOnlyList<double> shares, int stage) => shares.Count > 0 ? shares[stage] : 0;

    /// <summary>The easier forms mixed into stage <paramref name="stage"/>'s training samples.</summary>
    public TrainingBridge BridgeAt(int stage) => new(ShareAt(options.RestatedCues, stage), ShareAt(options.AdjacentNeedles, stage));

    /// <summary>
    /// Trains into <paramref name="directory"/> (a HF checkpoint directory plus <c>training/</c> state), resuming from
    /// what is there. Returns the last curriculum check.
    /// </summary>
    public IReadOnlyDictionary<string, double> Train(string directory, Action<BaseTrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        var statePath = Path.Combine(directory, "training", "state.json");
        AtomicFile.RemoveLeftovers(directory);
        AtomicFile.RemoveLeftovers(Path.Combine(directory, "training"));
        bool resuming = File.Exists(statePath);
        if (!resuming && options.StartFrom is { } start && !File.Exists(Path.Combine(start, "config.json")))
            throw new FileNotFoundException($"the checkpoint to start from has no config.json: {Path.GetFullPath(start)}");
        Directory.CreateDirectory(directory);
        manual_seed(options.Seed);
        using var model = resuming ? HuggingFaceCheckpoint.Load(directory, Devices.Default)
            : options.StartFrom is { } from ? StartingModel(from)
            : new LlamaForCausalLM(options.Config ?? DefaultConfig, Devices.Default);
        using var optimizer = new HeldScalarOptimizers.AdamW(model.DistinctParameters(), options.LearningRate, weightDecay: 0.01);
        using var precision = new MixedPrecisionCopy(model, options.ComputeDType);
        var (step, stage, stageStart) = (0, 0, 0);
        if (resuming)
        {
            var state = ReadState(statePath);
            CheckSameRun(state["run"], directory);
            (step, stage) = (StateInt(state, "step", statePath), StateInt(state, "stage", statePath));
            stageStart = state["stage_start"] is null ? step : StateInt(state, "stage_start", statePath);
            if (stage >= options.Lengths.Count)
                throw new CheckpointException($"{statePath}: field 'stage' is {stage} but --lengths has {options.Lengths.Count} stages");
            OptimizerStateFile.Load(Path.Combine(directory, "training", "optimizer.bin"), optimizer);
            if (step >= options.MaxSteps)
            {
                Finished = true;
                return new Dictionary<string, double>();
            }
        }

        var started = DateTime.UtcNow;
        var random = new Random(options.Seed * 1000 + step); // resumes with a fresh but deterministic stream
        IReadOnlyDictionary<string, double> check = new Dictionary<string, double>();
        model.train();
        while (step < options.MaxSteps && DateTime.UtcNow - started < options.MaxTime && !cancellation.IsCancellationRequested)
        {
            int length = options.Lengths[stage];
            foreach (var group in optimizer.ParamGroups)
                group.LearningRate = LearningRateAt(step);
            double loss = Step(precision, optimizer, stage, random);
            step++;
            bool checkNow = step % options.CheckEvery == 0;
            if (checkNow)
            {
                check = Check(model, length, stage);
                bool passed = check.Values.All(v => v >= options.AdvanceAt);
                // A decaying rate plans its steps to the end, so only a constant-rate run stops early on passing.
                if (passed && stage == options.Lengths.Count - 1 && !options.DecayLearningRate)
                {
                    progress?.Invoke(new(step, stage, length, loss, check, DateTime.UtcNow - started));
                    Save(model, optimizer, directory, step, stage, stageStart);
                    break;
                }
                if (stage < options.Lengths.Count - 1 && (passed || step - stageStart >= options.MaxStepsPerStage))
                    (stage, stageStart) = (stage + 1, step);
                Save(model, optimizer, directory, step, stage, stageStart);
            }
            progress?.Invoke(new(step, stage, length, loss, checkNow ? check : null, DateTime.UtcNow - started));
        }
        Save(model, optimizer, directory, step, stage, stageStart);
        model.eval();
        return check;
    }

    private LlamaForCausalLM StartingModel(string directory)
    {
        // Training keeps fp32 weights whatever the checkpoint's dtype: AdamW's small updates vanish in bf16 and fp16.
        var trained = HuggingFaceCheckpoint.Load(directory, Devices.Default, ScalarType.Float32);
        if (options.WidenBy > 1) trained = Replaced(trained, ModelWidening.Widen, options.WidenBy);
        if (options.AddLayers > 0) trained = Replaced(trained, ModelDeepening.Deepen, options.AddLayers);
        return trained;

        // The grown model, the one it grew from disposed (also when growing fails).
        static LlamaForCausalLM Replaced(LlamaForCausalLM model, Func<LlamaForCausalLM, int, LlamaForCausalLM> grow, int by)
        {
            using (model) return grow(model, by);
        }
    }

    /// <summary>Whether the last <see cref="Train"/> found the run already at --max-steps and trained nothing.</summary>
    public bool Finished { get; private set; }

    /// <summary>The step a run in <paramref name="directory"/> has reached, or null when none was started there.</summary>
    public static int? StepReached(string directory)
    {
        var statePath = Path.Combine(directory, "training", "state.json");
        return File.Exists(statePath) ? StateInt(ReadState(statePath), "step", statePath) : null;
    }

    private static JsonObject ReadState(string statePath)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(statePath)) as JsonObject ?? throw new CheckpointException($"{statePath}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{statePath}: malformed JSON: {e.Message}");
        }
    }

    private static int StateInt(JsonObject state, string field, string statePath) =>
        state[field] is JsonValue v && v.TryGetValue<int>(out var value) && value >= 0 ? value
            : throw new CheckpointException($"{statePath}: field '{field}' must be a non-negative integer, found {state[field]?.ToJsonString() ?? "nothing"}");

    /// <summary>The learning rate of step <paramref name="step"/> (0-based): linear warm-up, then constant or linear decay to zero.</summary>
    public double LearningRateAt(int step)
    {
        double warm = Math.Min(1.0, (step + 1.0) / options.WarmupSteps);
        if (!options.DecayLearningRate || step < options.WarmupSteps) return options.LearningRate * warm;
        return options.LearningRate * Math.Max(0.0, (double)(options.MaxSteps - step) / Math.Max(1, options.MaxSteps - options.WarmupSteps));
    }

    private double Step(MixedPrecisionCopy precision, TorchSharp.Modules.AdamW optimizer, int stage, Random random)
    {
        var model = precision.Compute;
        using var scope = NewDisposeScope();
        var sequences = DrawBatch(stage, random);
        int batch = sequences.Count;
        int width = sequences.Max(s => s.Ids.Length);
        var idData = new long[batch * width];
        var weightData = new float[batch * width];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < sequences[b].Ids.Length; t++)
            {
                idData[b * width + t] = sequences[b].Ids[t];
                weightData[b * width + t] = sequences[b].Weights[t];
            }
        // Right padding (id 0, weight 0): causal attention never lets a real token see it.
        var ids = tensor(idData, device: model.Device).view(batch, width);
        var weights = tensor(weightData, device: model.Device).view(batch, width);
        optimizer.zero_grad();
        precision.CopyWeights();
        var logits = model.Forward(ids, allLogits: true);
        // The loss is taken in fp32 whatever the compute dtype: a bf16 log-softmax over the vocabulary loses the small
        // probabilities the answers' losses are made of.
        var logProbs = logits.narrow(1, 0, width - 1).to_type(ScalarType.Float32).log_softmax(-1);
        var next = ids.narrow(1, 1, width - 1).unsqueeze(-1);
        var tokenLoss = -logProbs.gather(-1, next).squeeze(-1);
        var w = weights.narrow(1, 1, width - 1);
        var loss = (tokenLoss * w).sum() / w.sum();
        if (options.AvoidRepeatsWeight > 0 && sequences.Any(s => s.Avoided.Count > 0))
            loss = loss.Plus(RepeatedItems.Unlikelihood(logProbs, sequences).sum().Times(options.AvoidRepeatsWeight) / w.sum());
        loss.backward();
        precision.MoveGradients();
        nn.utils.clip_grad_norm_(precision.Weights, 1.0);
        optimizer.step();
        return loss.item<float>();
    }

    /// <summary>
    /// The training sequences of one step at stage <paramref name="stage"/>: 16 rows at 256 tokens or fewer, halved each
    /// time the length doubles past that (at least 2). Each row's first sample is drawn at one length for the whole step,
    /// within +-50% of the stage's, so the model sees a range of lengths. With <see cref="BaseTrainingOptions.PackRows"/>
    /// each row is then filled up to the longest row with further samples drawn at half the room left (so the questions
    /// and answers they append still fit; one that does not is dropped and the row is left as it is).
    /// </summary>
    public IReadOnlyList<TrainingRow> DrawBatch(int stage, Random random)
    {
        // Without mixed lengths no extra number is drawn, so the stream is the one a run without the option trains on.
        int length = options.MixedLengths.Count > 0 ? options.MixedLengths[random.Next(options.MixedLengths.Count)] : options.Lengths[stage];
        int batch = Math.Max(2, options.BatchSize * 256 / Math.Max(256, length));
        var tasks = TrainingTasks(options.MaxKeys[stage], BridgeAt(stage));
        double drill = ShareAt(options.KeyDrill, stage);
        int sampleLength = (int)(length * (0.5 + random.NextDouble()));
        TrainingRow Draw(int promptLength)
        {
            // Without a drill no extra number is drawn, so the stream is the one a run without the option trains on.
            var task = drill > 0 && random.NextDouble() < drill ? keyDrill : DrawTask(tasks, random);
            return TrainingSequence(task.Generate(promptLength, random.NextDouble(), new Random(random.Next() % TaskSuite.EvaluationSeedBase)));
        }
        var rows = Enumerable.Range(0, batch).Select(_ => Draw(sampleLength)).ToList();
        if (!options.PackRows) return rows;
        int width = rows.Max(r => r.Ids.Length);
        for (int b = 0; b < rows.Count; b++)
        {
            var (ids, weights, avoided) = (new List<int>(rows[b].Ids), new List<float>(rows[b].Weights), new List<(int, int)>(rows[b].Avoided));
            while (width - ids.Count >= MinPackedLength)
            {
                var extra = Draw((width - ids.Count) / 2);
                if (ids.Count + extra.Ids.Length > width) break;
                avoided.AddRange(extra.Avoided.Select(a => (ids.Count + a.Position, a.Token)));
                ids.AddRange(extra.Ids);
                weights.AddRange(extra.Weights);
            }
            rows[b] = new TrainingRow(ids.ToArray(), weights.ToArray(), avoided);
        }
        return rows;
    }

    /// <summary>Room in a row, in tokens, below which packing draws no further sample (one drawn at half of it would be a fragment).</summary>
    public const int MinPackedLength = 96;

    /// <summary>
    /// The token ids of a training sequence and each token's loss weight: the prompt, its answer (weight 1, the first
    /// token of each item <see cref="BaseTrainingOptions.ItemStartWeight"/>, the rest
    /// <see cref="BaseTrainingOptions.ContextLossWeight"/>), for multi-key up to <see cref="BaseTrainingOptions.MultiKeyQuestions"/>
    /// questions in all, each answered, then EOS (weight 1); and where each list answer would repeat an earlier item.
    /// </summary>
    public TrainingRow TrainingSequence(TaskSample sample)
    {
        var ids = new List<int>(tokenizer.Encode(sample.Prompt, addBos: true));
        var weights = new List<float>(Enumerable.Repeat((float)options.ContextLossWeight, ids.Count));
        var avoided = new List<(int, int)>();
        void Answer(string answer)
        {
            var answerIds = tokenizer.Encode(answer);
            avoided.AddRange(RepeatedItems.Avoided(answerIds, ItemSeparator).Select(a => (ids.Count + a.Position, a.Token)));
            var answerWeights = Enumerable.Repeat(1f, answerIds.Count).ToArray();
            // A sample with needles answers with retrieved items; a language-modelling continuation has none.
            if (sample.NeedleOffsets.Count > 0)
                foreach (var (start, _) in AnswerItems.Spans(answerIds, ItemSeparator))
                    answerWeights[start] = (float)options.ItemStartWeight;
            ids.AddRange(answerIds);
            weights.AddRange(answerWeights);
        }
        Answer(sample.Answer);
        // The other questions share the context: what follows it in their prompts is the question alone.
        foreach (var (prompt, answer) in sample.OtherQueries.Take(options.MultiKeyQuestions - 1))
        {
            var question = tokenizer.Encode(". " + prompt[sample.QuestionStart..]);
            ids.AddRange(question);
            weights.AddRange(Enumerable.Repeat((float)options.ContextLossWeight, question.Count));
            Answer(answer);
        }
        ids.Add(tokenizer.EosId!.Value);
        weights.Add(1f);
        return new TrainingRow(ids.ToArray(), weights.ToArray(), avoided);
    }

    private IReadOnlyList<int> ItemSeparator => tokenizer.Encode(RulerTask.ItemSeparator);

    /// <summary>Greedy exact match of each retrieval task at <paramref name="length"/> on held-out training-stream samples.</summary>
    public IReadOnlyDictionary<string, double> Check(LlamaForCausalLM model, int length, int stage)
    {
        model.eval();
        var result = new Dictionary<string, double>();
        var tasks = TrainingTasks(options.MaxKeys[Math.Min(stage, options.MaxKeys.Count - 1)]).Where(t => t.IsRetrieval);
        if (options.KeyDrill.Any(share => share > 0)) tasks = tasks.Append(keyDrill);
        foreach (var task in tasks)
        {
            int correct = 0;
            for (int i = 0; i < options.CheckSamples; i++)
            {
                double depth = (i + 0.5) / options.CheckSamples;
                // The template tasks keep the seeds their checks always used; the suite checks on its validation stream.
                var sample = options.Mixture == TrainingMixture.Templates
                    ? task.Generate(length, depth, new Random(TaskSuite.EvaluationSeedBase - 1 - i))
                    : TaskSuite.ValidationSample(task, length, depth, i);
                if (Answers.ExactMatch(model, tokenizer, sample)) correct++;
            }
            result[task.Name] = (double)correct / options.CheckSamples;
        }
        model.train();
        return result;
    }

    /// <summary>A task of <paramref name="tasks"/>, each as often as its <see cref="DrawWeight"/> says.</summary>
    public IEvalTask DrawTask(IReadOnlyList<IEvalTask> tasks, Random random)
    {
        double total = tasks.Sum(DrawWeight), r = random.NextDouble() * total;
        foreach (var task in tasks)
            if ((r -= DrawWeight(task)) < 0) return task;
        return tasks[^1];
    }

    /// <summary>How often training draws <paramref name="task"/>: its <see cref="BaseTrainingOptions.TaskWeights"/> entry, else <see cref="DefaultDrawWeight"/>.</summary>
    public double DrawWeight(IEvalTask task) => options.TaskWeights.TryGetValue(WeightName(task), out double weight) ? weight : DefaultDrawWeight(task);

    /// <summary>
    /// How often training draws <paramref name="task"/> unless told otherwise: the RULER-like families that need several
    /// retrievals per answer (multi-key, multi-value, multi-query, variable tracking) twice as often as the single
    /// needle and each language-modelling task, which a model learns first; the template tasks all alike.
    /// </summary>
    public static double DefaultDrawWeight(IEvalTask task) => task is MultiKeyNeedleTask or MultiValueNeedleTask or MultiQueryNeedleTask or VariableTrackingTask ? 2 : 1;

    /// <summary>The name <see cref="BaseTrainingOptions.TaskWeights"/> knows <paramref name="task"/> by: its name without the training suffix.</summary>
    public static string WeightName(IEvalTask task) => task.Name.EndsWith(RulerTask.TrainingSuffix, StringComparison.Ordinal) ? task.Name[..^RulerTask.TrainingSuffix.Length] : task.Name;

    // A weight must name a task of the mixture and be a finite number >= 0, with some task left to draw.
    private static void CheckTaskWeights(IReadOnlyDictionary<string, double> weights, IReadOnlyList<IEvalTask> tasks)
    {
        var names = tasks.Select(WeightName).ToList();
        foreach (var (name, weight) in weights)
        {
            if (!names.Contains(name))
                throw new ArgumentException($"TaskWeights: no task '{name}' in this mixture (its tasks: {string.Join(", ", names)})");
            if (weight < 0 || !double.IsFinite(weight))
                throw new ArgumentException($"TaskWeights: the weight of '{name}' must be a finite number >= 0 (got {weight})");
        }
        if (tasks.All(t => (weights.TryGetValue(WeightName(t), out double w) ? w : DefaultDrawWeight(t)) == 0))
            throw new ArgumentException("TaskWeights: every task has weight 0, so nothing would be drawn");
    }

    /// <summary>What a training step draws from (see <see cref="DrawWeight"/>): retrieval tasks, then language modelling.</summary>
    public IReadOnlyList<IEvalTask> TrainingTasks(int maxKeys, TrainingBridge? bridge = null) => options.Mixture == TrainingMixture.Templates
        ? [new PasskeyTask(), new MultiKeyTask(2, maxKeys), new MultiValueTask(), new LanguageModelingTask()]
        : [.. RulerSuite.Families(TemplateSplit.Training, maxKeys, bridge: bridge), new LanguageModelingTask()];

    /// <summary>
    /// The options that define what a run trains on, as the command line spells them: a resumed run must give the same
    /// ones (the rate, time and step limits may change between runs).
    /// </summary>
    public IReadOnlyDictionary<string, string> RunDefinition() => new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["--mixture"] = options.Mixture.ToString(),
        ["--lengths"] = string.Join(' ', options.Lengths),
        ["--mix-lengths"] = string.Join(' ', options.MixedLengths),
        ["--max-keys"] = string.Join(' ', options.MaxKeys),
        ["--multikey-questions"] = options.MultiKeyQuestions.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["--seed"] = options.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["--restated-cues"] = string.Join(' ', options.RestatedCues.Select(r => r.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        ["--adjacent-needles"] = string.Join(' ', options.AdjacentNeedles.Select(r => r.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        ["--key-drill"] = string.Join(' ', options.KeyDrill.Select(r => r.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        ["--drill-forms"] = string.Join(' ', options.DrillForms.Distinct().Order()),
        ["--pack"] = options.PackRows ? "true" : "false",
        ["--context-weight"] = options.ContextLossWeight.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["--item-start-weight"] = options.ItemStartWeight.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["--avoid-repeats"] = options.AvoidRepeatsWeight.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["--task-weights"] = string.Join(' ', options.TaskWeights.OrderBy(w => w.Key, StringComparer.Ordinal)
            .Select(w => w.Key + "=" + w.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))),
    };

    // A state written before runs recorded their options has no "run": nothing to compare, the next save records it.
    private void CheckSameRun(JsonNode? recorded, string directory)
    {
        if (recorded is not JsonObject run) return;
        var differences = RunDefinition()
            .Where(o => run[o.Key] is JsonValue v && v.TryGetValue<string>(out var was) && was != o.Value)
            .Select(o => $"{o.Key} {run[o.Key]!.GetValue<string>()} (this command: {o.Value})").ToList();
        if (differences.Count > 0)
            throw new ArgumentException($"{Path.GetFullPath(directory)}: the run in training/ was started with {string.Join(", ", differences)}; " +
                "resume it with the same options, or train into another --out");
    }

    private void Save(LlamaForCausalLM model, TorchSharp.Modules.AdamW optimizer, string directory, int step, int stage, int stageStart)
    {
        HuggingFaceCheckpoint.Save(model, directory);
        TokenizerLoader.WriteByteTokenizerMarker(directory);
        var training = Path.Combine(directory, "training");
        OptimizerStateFile.Save(Path.Combine(training, "optimizer.bin"), optimizer);
        AtomicFile.WriteText(Path.Combine(training, "state.json"), JsonSerializer.Serialize(new { step, stage, stage_start = stageStart, run = RunDefinition() }));
    }
}
