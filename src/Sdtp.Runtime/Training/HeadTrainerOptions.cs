namespace Sdtp.Training;

/// <summary>Weights of the loss terms: L = Lm x L_lm + sum over stages (Mse x L_mse + Rank x L_rank + Budget x L_budget).</summary>
public sealed record LossWeights(double Lm = 1.0, double Mse = 1.0, double Rank = 1.0, double Budget = 2.0);

/// <summary>How the heads are trained. Defaults are the ones the project measured on its own models.</summary>
public sealed record HeadTrainerOptions
{
    /// <summary>Optimizer steps, <see cref="SamplesPerStep"/> samples each.</summary>
    public int Steps { get; init; } = 300;
    /// <summary>Samples whose gradients one step averages (accumulated one at a time).</summary>
    public int SamplesPerStep { get; init; } = 1;
    /// <summary>Peak AdamW learning rate.</summary>
    public double LearningRate { get; init; } = 1e-2;
    /// <summary>Steps of linear warm-up before the cosine decay.</summary>
    public int WarmupSteps { get; init; } = 20;
    /// <summary>AdamW weight decay.</summary>
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>Gradient norm clip.</summary>
    public double ClipNorm { get; init; } = 1.0;
    /// <summary>Seed of the sample order and the Gumbel noise: the same seed gives the same heads.</summary>
    public long Seed { get; init; } = 0;
    /// <summary>Loss weights.</summary>
    public LossWeights Weights { get; init; } = new();
    /// <summary>Gumbel temperature at the first step; annealed geometrically to <see cref="TauEnd"/>.</summary>
    public double TauStart { get; init; } = 1.0;
    /// <summary>Gumbel temperature at the last step.</summary>
    public double TauEnd { get; init; } = 0.1;
    /// <summary>Ranking pairs need one token with normalised saliency at least this (the paper's "important": 10% of the max).</summary>
    public double RankMinSaliency { get; init; } = 0.1;
    /// <summary>Rescale each stage's targets over the tokens a head can drop (<see cref="RankableTargets"/>); off trains on the marked values as stored.</summary>
    public bool RescaleTargets { get; init; } = true;
    /// <summary>Train each stage on the saliency carried forward from earlier stages (<see cref="RankableTargets.CarriedForward"/>); off trains each stage on its own saliency.</summary>
    public bool CarryEarlierSaliency { get; init; } = true;
    /// <summary>Token pairs per sample above which the ranking loss samples pairs.</summary>
    public int RankPairLimit { get; init; } = 16384;
    /// <summary>Write a training checkpoint every this many steps (0: only at the end), when a directory is set.</summary>
    public int CheckpointEvery { get; init; }
    /// <summary>Where training checkpoints go; null writes none.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>
    /// The options that decide what a run computes, as strings: a checkpoint records them and a resume must match them
    /// (the learning-rate and temperature schedules depend on <see cref="Steps"/>, the sample order on the seed).
    /// </summary>
    public IReadOnlyDictionary<string, string> RunDefinition()
    {
        static string F(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        return new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["steps"] = Steps.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["samples_per_step"] = SamplesPerStep.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["seed"] = Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["learning_rate"] = F(LearningRate),
            ["warmup_steps"] = WarmupSteps.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["weight_decay"] = F(WeightDecay),
            ["clip_norm"] = F(ClipNorm),
            ["loss_weights"] = $"lm {F(Weights.Lm)}, mse {F(Weights.Mse)}, rank {F(Weights.Rank)}, budget {F(Weights.Budget)}",
            ["tau"] = $"{F(TauStart)} -> {F(TauEnd)}",
            ["rank_min_saliency"] = F(RankMinSaliency),
            ["rescale_targets"] = RescaleTargets ? "true" : "false",
            ["carry_earlier_saliency"] = CarryEarlierSaliency ? "true" : "false",
            ["rank_pair_limit"] = RankPairLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    internal void Validate()
    {
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "must be >= 1");
        if (SamplesPerStep < 1) throw new ArgumentOutOfRangeException(nameof(SamplesPerStep), SamplesPerStep, "must be >= 1");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be > 0");
        if (WarmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(WarmupSteps), WarmupSteps, "must be >= 0");
        if (!(TauStart > 0 && TauEnd > 0)) throw new ArgumentOutOfRangeException(nameof(TauStart), $"{TauStart} -> {TauEnd}", "temperatures must be > 0");
        if (CheckpointEvery < 0) throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), CheckpointEvery, "must be >= 0");
    }

    /// <summary>Learning rate at <paramref name="step"/> (0-based): linear warm-up, then cosine decay to 10% of the peak.</summary>
    public double LearningRateAt(int step)
    {
        if (step < WarmupSteps) return LearningRate * (step + 1) / WarmupSteps;
        double progress = Steps <= WarmupSteps ? 1 : (double)(step - WarmupSteps) / (Steps - WarmupSteps);
        return LearningRate * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1, progress))));
    }

    /// <summary>Gumbel temperature at <paramref name="step"/>.</summary>
    public double TauAt(int step) => TauStart * Math.Pow(TauEnd / TauStart, Steps == 1 ? 1 : (double)step / (Steps - 1));
}

/// <summary>The loss of one step, term by term (summed over stages where per stage).</summary>
public sealed record LossTerms(double Total, double Lm, double Mse, double Rank, double Budget)
{
    /// <summary>Term-by-term mean of <paramref name="terms"/> (at least one).</summary>
    public static LossTerms Mean(IReadOnlyCollection<LossTerms> terms) =>
        new(terms.Average(t => t.Total), terms.Average(t => t.Lm), terms.Average(t => t.Mse), terms.Average(t => t.Rank), terms.Average(t => t.Budget));
}

/// <summary>Reported after every step.</summary>
public sealed record TrainingProgress(int Step, int TotalSteps, LossTerms Loss, double LearningRate, double Tau);
