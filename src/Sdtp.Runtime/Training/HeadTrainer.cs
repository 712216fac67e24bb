using Sdtp.Modeling;
using Sdtp.Pruning;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sdtp.Training;

/// <summary>
/// Stage 2 of SDTP: trains the saliency heads on marked samples with the backbone frozen.
/// L = Lm x L_lm (under soft pruning) + sum over stages (Mse x L_mse + Rank x L_rank + Budget x L_budget), the MSE and
/// ranking terms against <see cref="RankableTargets"/> (saliency carried forward from earlier stages, rescaled over the
/// tokens a head can drop).
/// <para>
/// Reproducible: the sample of step t comes from a seeded permutation of epoch t / n, and step t's Gumbel noise and
/// pair sampling from a generator seeded with (seed, t). So a run resumed from a checkpoint takes exactly the steps an
/// uninterrupted run would.
/// </para>
/// </summary>
public sealed class HeadTrainer : IDisposable
{
    private readonly LlamaForCausalLM model;
    private readonly PruningSchedule schedule;
    private readonly SaliencyHeads heads;
    private readonly HeadTrainerOptions options;
    private readonly AdamW optimizer;
    private readonly Func<Tensor, double, Generator, SoftForwardResult> trainingForward;
    private int stepsDone;
    private IReadOnlyDictionary<string, string>? resumedRun;

    /// <summary>A trainer for an <c>[SdtpModel]</c> class: its heads, schedule and generated training forward.</summary>
    public static HeadTrainer For(ISdtpModel model, HeadTrainerOptions? options = null) =>
        new(model.Model, model.SdtpSchedule, model.SdtpHeads, options, (ids, tau, g) => model.SdtpTrainingForward(ids, tau, g));

    /// <summary>A trainer for <paramref name="heads"/> on <paramref name="model"/> (whose weights it never changes).</summary>
    public HeadTrainer(LlamaForCausalLM model, PruningSchedule schedule, SaliencyHeads heads, HeadTrainerOptions? options = null)
        : this(model, schedule, heads, options, null)
    {
    }

    private HeadTrainer(LlamaForCausalLM model, PruningSchedule schedule, SaliencyHeads heads, HeadTrainerOptions? options,
        Func<Tensor, double, Generator, SoftForwardResult>? trainingForward)
    {
        this.options = options ?? new HeadTrainerOptions();
        this.options.Validate();
        schedule.Validate(model.Layers.Count);
        SaliencyHeads.CheckFits(heads, schedule, model.Config.HiddenSize);
        this.model = model;
        this.schedule = schedule;
        this.heads = heads;
        optimizer = new HeldScalarOptimizers.AdamW(heads.HeadParameters(), this.options.LearningRate, this.options.WeightDecay);
        this.trainingForward = trainingForward ?? ((ids, tau, g) => SoftPrunedForward.Run(model, schedule, heads, ids, tau, g));
    }

    /// <summary>Steps completed so far (after a resume, the checkpoint's).</summary>
    public int StepsDone => stepsDone;

    /// <summary>Whether every step is done (after a resume of a finished run, before any training).</summary>
    public bool Finished => stepsDone >= options.Steps;

    /// <summary>
    /// Continues from the checkpoint in <see cref="HeadTrainerOptions.CheckpointDirectory"/> when one exists (recovering
    /// one a killed save left half-swapped); returns whether it did. A checkpoint of other options is refused.
    /// </summary>
    public bool TryResume()
    {
        var directory = options.CheckpointDirectory;
        if (directory is null) return false;
        TrainingCheckpoint.RecoverInterruptedSave(directory);
        if (!TrainingCheckpoint.Exists(directory)) return false;
        (stepsDone, resumedRun) = TrainingCheckpoint.Load(directory, heads, optimizer, options.RunDefinition());
        return true;
    }

    /// <summary>
    /// Trains until <see cref="HeadTrainerOptions.Steps"/> steps are done, reporting each step to <paramref name="progress"/>.
    /// Cancellation stops after the current step and writes a checkpoint when a directory is set.
    /// </summary>
    public IReadOnlyList<LossTerms> Train(IReadOnlyList<MarkedSample> samples, Action<TrainingProgress>? progress = null,
        CancellationToken cancellation = default)
    {
        if (samples.Count == 0) throw new ArgumentException("no training samples", nameof(samples));
        foreach (var (sample, index) in samples.Select((s, i) => (s, i)))
            if (sample.Saliency.Length != schedule.Stages.Count)
                throw new ArgumentException($"sample {index} has saliency for {sample.Saliency.Length} stages, the schedule has {schedule.Stages.Count}", nameof(samples));

        var run = new SortedDictionary<string, string>(options.RunDefinition().ToDictionary(), StringComparer.Ordinal) { ["samples"] = Fingerprint(samples) };
        if (resumedRun is not null && resumedRun.TryGetValue("samples", out var trainedOn) && trainedOn != run["samples"])
            throw new ArgumentException($"{options.CheckpointDirectory}: the checkpoint was trained on other samples ({trainedOn}; this run: {run["samples"]}); " +
                "resume with the same marked samples, or delete the checkpoint to start again", nameof(samples));
        var history = new List<LossTerms>();
        var backbone = model.parameters().Select(p => (p, p.requires_grad)).ToList();
        foreach (var (p, _) in backbone) p.requires_grad = false; // frozen: only the heads learn
        heads.train();
        try
        {
            while (stepsDone < options.Steps && !cancellation.IsCancellationRequested)
            {
                int k = options.SamplesPerStep;
                var terms = Step(Enumerable.Range(stepsDone * k, k).Select(i => samples[SampleIndex(i, samples.Count)]).ToList(), stepsDone);
                history.Add(terms);
                stepsDone++;
                progress?.Invoke(new TrainingProgress(stepsDone, options.Steps, terms, options.LearningRateAt(stepsDone - 1), options.TauAt(stepsDone - 1)));
                bool periodic = options.CheckpointEvery > 0 && stepsDone % options.CheckpointEvery == 0;
                if (options.CheckpointDirectory is not null && (periodic || stepsDone == options.Steps || cancellation.IsCancellationRequested))
                    TrainingCheckpoint.Save(options.CheckpointDirectory, heads, schedule, optimizer, stepsDone, run);
            }
        }
        finally
        {
            foreach (var (p, flag) in backbone) p.requires_grad = flag;
            heads.eval();
        }
        heads.MarkTrained(ModelSignature.Of(model));
        return history;
    }

    // Count and FNV-1a hash of every id, target and saliency value: enough to tell one marked file from another.
    private static string Fingerprint(IReadOnlyList<MarkedSample> samples)
    {
        ulong hash = 14695981039346656037;
        void Mix(long value) { hash = (hash ^ (ulong)value) * 1099511628211; }
        foreach (var sample in samples)
        {
            foreach (var id in sample.Ids) Mix(id);
            foreach (var target in sample.Targets) Mix(target ? 1 : 0);
            foreach (var stage in sample.Saliency)
                foreach (var value in stage) Mix(BitConverter.SingleToInt32Bits(value));
        }
        return $"{samples.Count} samples, {hash:x16}";
    }

    /// <summary>
    /// The loss terms of one sample at <paramref name="step"/>, with gradients (used by tests and by <see cref="Step"/>);
    /// <paramref name="draw"/> is the sample's place in the step's batch, which picks its own Gumbel noise.
    /// </summary>
    public (Tensor Total, LossTerms Terms) Loss(MarkedSample sample, int step, int draw = 0)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)(options.Seed * 1_000_003 + (long)step * options.SamplesPerStep + draw), CPU);
        var device = model.Device;
        var ids = tensor(sample.Ids, device: device).unsqueeze(0);
        var targets = tensor(sample.Targets, device: device).unsqueeze(0);
        var result = trainingForward(ids, options.TauAt(step), generator);

        var weights = options.Weights;
        var lm = SdtpLosses.LanguageModel(result.Logits, ids, targets);
        var mse = zeros(1, device: device).squeeze();
        var rank = zeros(1, device: device).squeeze();
        var budget = zeros(1, device: device).squeeze();
        for (int s = 0; s < schedule.Stages.Count; s++)
        {
            // Each stage ADDS its terms: overwriting them inside this loop left only the LM loss in public reproductions.
            var logits = result.StageLogits[s];
            var scores = logits.select(-1, 0).Minus(logits.select(-1, 1)).to_type(ScalarType.Float32);
            var target = options.CarryEarlierSaliency ? RankableTargets.CarriedForward(sample.Saliency, s) : sample.Saliency[s];
            if (options.RescaleTargets) target = RankableTargets.Rescale(target, schedule.AlwaysKeep);
            var saliency = tensor(target, device: device).unsqueeze(0);
            mse = mse.Plus(SdtpLosses.Mse(scores, saliency, null));
            rank = rank.Plus(SdtpLosses.Ranking(scores, saliency, null, options.RankPairLimit, generator, options.RankMinSaliency));
            budget = budget.Plus(SdtpLosses.Budget(result.CumulativeKeep[s], null, schedule.CumulativeKeepRatio(s)));
        }
        var total = lm.Times(weights.Lm).Plus(mse.Times(weights.Mse)).Plus(rank.Times(weights.Rank)).Plus(budget.Times(weights.Budget));
        var terms = new LossTerms(total.item<float>(), lm.item<float>(), mse.item<float>(), rank.item<float>(), budget.item<float>());
        return (total.MoveToOuterDisposeScope(), terms);
    }

    private LossTerms Step(IReadOnlyList<MarkedSample> batch, int step)
    {
        using var scope = NewDisposeScope();
        foreach (var group in optimizer.ParamGroups) group.LearningRate = options.LearningRateAt(step);
        optimizer.zero_grad();
        // Gradients of the batch's samples are accumulated one sample at a time (prompt lengths differ), each scaled
        // by 1/k so the step follows their mean loss.
        var all = new List<LossTerms>();
        for (int draw = 0; draw < batch.Count; draw++)
        {
            var (total, terms) = Loss(batch[draw], step, draw);
            total.DividedBy(batch.Count).backward();
            total.Dispose();
            all.Add(terms);
        }
        nn.utils.clip_grad_norm_(heads.HeadParameters(), options.ClipNorm);
        optimizer.step();
        return LossTerms.Mean(all);
    }

    private int SampleIndex(int step, int count)
    {
        int epoch = step / count;
        var order = Enumerable.Range(0, count).ToArray();
        new Random(unchecked((int)(options.Seed * 7919 + epoch))).Shuffle(order);
        return order[step % count];
    }

    /// <inheritdoc/>
    public void Dispose() => optimizer.Dispose();
}
