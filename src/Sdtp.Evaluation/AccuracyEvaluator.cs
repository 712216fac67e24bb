using System.Globalization;
using Sdtp.Evaluation.Policies;
using Sdtp.Evaluation.Reporting;
using Sdtp.Evaluation.Tasks;
using Sdtp.Generation;
using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Tokenization;
using static TorchSharp.torch;

namespace Sdtp.Evaluation;

/// <summary>Which samples an accuracy run scores.</summary>
/// <param name="Tasks">Tasks by name.</param>
/// <param name="Lengths">Prompt lengths in tokens.</param>
/// <param name="Depths">Needle depths (retrieval tasks).</param>
/// <param name="SamplesPerCell">Samples per (task, length, depth).</param>
public sealed record AccuracyGrid(IReadOnlyList<string> Tasks, IReadOnlyList<int> Lengths, IReadOnlyList<double> Depths, int SamplesPerCell)
{
    /// <summary>
    /// Samples per cell for the baselines (policies other than dense and sdtp): the first this many of each cell, so
    /// a long run can score the two that matter on more samples; null scores every policy on every sample. Retention
    /// is always against dense on the same samples.
    /// </summary>
    public int? BaselineSamplesPerCell { get; init; }
}

/// <summary>
/// Scores every policy on every sample of a grid, each policy through the same pruned forward at the same schedule
/// (so the same keep budget), and the dense model on the same samples for the retention ratios.
/// </summary>
public sealed class AccuracyEvaluator(LlamaForCausalLM model, ITextTokenizer tokenizer, PruningSchedule schedule)
{
    /// <summary>Reports of the pruned prefills run so far (the pruned fraction is read from them).</summary>
    public List<PruningReport> Reports { get; } = [];

    /// <summary>Scores <paramref name="policies"/> (which must include "dense") on <paramref name="grid"/>.</summary>
    /// <param name="progress">Called after each sample with (done, total).</param>
    public Dictionary<string, Dictionary<string, PolicyScore>> Run(IReadOnlyList<IPruningPolicy> policies, AccuracyGrid grid,
        Action<int, int>? progress = null)
    {
        if (!policies.Any(p => p.Name == "dense")) throw new ArgumentException("the policies must include dense: retention is relative to it", nameof(policies));
        var tasks = grid.Tasks.Select(TaskSuite.ByName).ToList();
        var cells = tasks.SelectMany(t => grid.Lengths.SelectMany(l => (t.IsRetrieval ? grid.Depths : [double.NaN])
            .SelectMany(d => Enumerable.Range(0, grid.SamplesPerCell).Select(i => (Task: t, Length: l, Depth: d, Index: i))))).ToList();
        // value per (task, policy): list of (length, depth, index, score)
        var scores = new Dictionary<(string Task, string Policy), List<Scored>>();
        int done = 0;
        foreach (var cell in cells)
        {
            var sample = TaskSuite.EvaluationSample(cell.Task, cell.Length, double.IsNaN(cell.Depth) ? 0.5 : cell.Depth, cell.Index);
            var promptIds = tokenizer.Encode(sample.Prompt, addBos: true);
            var answerIds = tokenizer.Encode(sample.Answer);
            var context = new PolicyContext(sample, promptIds, answerIds, cell.Index * 7919 + cell.Length);
            foreach (var policy in policies)
            {
                if (cell.Index >= (grid.BaselineSamplesPerCell ?? int.MaxValue) && policy.Name is not ("dense" or "sdtp")) continue;
                var prefill = PrefillFor(policy, context);
                double value = cell.Task.IsRetrieval
                    ? (Answers.ExactMatch(model, tokenizer, sample, prefill) ? 1 : 0)
                    : ContinuationLoss(promptIds, answerIds, prefill);
                var key = (cell.Task.Name, policy.Name);
                if (!scores.TryGetValue(key, out var list)) scores[key] = list = [];
                list.Add(new(cell.Length, cell.Depth, cell.Index, value));
            }
            progress?.Invoke(++done, cells.Count);
        }
        return Summarize(tasks, policies, scores);
    }

    private sealed record Scored(int Length, double Depth, int Index, double Value);

    /// <summary>
    /// The prefill of <paramref name="policy"/> for one sample: an SDTP policy bound to an annotated model runs its
    /// generated forward, any other its scorer's (dense when null, else the reference pruned forward).
    /// </summary>
    public Prefill? PrefillFor(IPruningPolicy policy, PolicyContext context) => policy is SdtpPolicy { Generated: { } generated }
        ? (m, ids, cache) => Recorded(generated.SdtpPrefill(ids, cache: cache))
        : PrefillFor(policy.ScorerFor(context));

    /// <summary>The prefill a policy's scorer implies: dense when null, else the reference pruned forward.</summary>
    public Prefill? PrefillFor(ITokenScorer? scorer) => scorer is null ? null : (m, ids, cache) =>
        Recorded(PrunedPrefill.Run(m, schedule, scorer, ids, cache: cache));

    private Tensor Recorded(PrefillResult result)
    {
        lock (Reports) Reports.Add(result.Report);
        return result.LastLogits;
    }

    /// <summary>Mean next-token loss of <paramref name="continuation"/> after a (possibly pruned) prefill of <paramref name="context"/>.</summary>
    public double ContinuationLoss(IReadOnlyList<int> context, IReadOnlyList<int> continuation, Prefill? prefill) =>
        ContinuationLoss(model, context, continuation, prefill);

    /// <summary>
    /// Mean next-token loss of <paramref name="continuation"/> after <paramref name="model"/>'s prefill of
    /// <paramref name="context"/>: dense when <paramref name="prefill"/> is null (a base model without heads).
    /// </summary>
    public static double ContinuationLoss(LlamaForCausalLM model, IReadOnlyList<int> context, IReadOnlyList<int> continuation, Prefill? prefill = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (logits, targets) = ContinuationLogits(model, context, continuation, prefill);
        return nn.functional.cross_entropy(logits, targets).item<float>();
    }

    /// <summary>
    /// The next-token loss of each token of <paramref name="continuation"/> after a dense prefill of <paramref name="context"/>:
    /// where in an answer a model is unsure (choosing which value to write, or copying it).
    /// </summary>
    public static float[] ContinuationTokenLosses(LlamaForCausalLM model, IReadOnlyList<int> context, IReadOnlyList<int> continuation)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (logits, targets) = ContinuationLogits(model, context, continuation, null);
        return nn.functional.cross_entropy(logits, targets, reduction: nn.Reduction.None).cpu().data<float>().ToArray();
    }

    // The logits that predict each token of the continuation ([tokens, vocabulary], fp32) and those tokens.
    private static (Tensor Logits, Tensor Targets) ContinuationLogits(LlamaForCausalLM model, IReadOnlyList<int> context, IReadOnlyList<int> continuation, Prefill? prefill)
    {
        using var cache = new KvCache(model.Layers.Count, context.Count + continuation.Count);
        var contextIds = tensor(context.Select(i => (long)i).ToArray(), device: model.Device).unsqueeze(0);
        var first = (prefill ?? ((m, ids, c) => m.Forward(ids, cache: c)))(model, contextIds, cache);
        var logits = first.unsqueeze(1);
        if (continuation.Count > 1)
        {
            var teacher = tensor(continuation.Take(continuation.Count - 1).Select(i => (long)i).ToArray(), device: model.Device).unsqueeze(0);
            logits = cat([logits, model.Forward(teacher, cache: cache, allLogits: true)], 1);
        }
        var targets = tensor(continuation.Select(i => (long)i).ToArray(), device: model.Device);
        return (logits[0].to_type(ScalarType.Float32), targets);
    }

    private static Dictionary<string, Dictionary<string, PolicyScore>> Summarize(List<IEvalTask> tasks, IReadOnlyList<IPruningPolicy> policies,
        Dictionary<(string Task, string Policy), List<Scored>> scores)
    {
        var result = new Dictionary<string, Dictionary<string, PolicyScore>>();
        foreach (var task in tasks)
        {
            var perPolicy = new Dictionary<string, PolicyScore>();
            var denseValues = scores[(task.Name, "dense")].ToDictionary(s => (s.Length, s.Depth, s.Index), s => s.Value);
            foreach (var policy in policies)
            {
                var values = scores[(task.Name, policy.Name)];
                double mean = values.Average(v => v.Value);
                // Paired: dense on exactly the samples this policy was scored on.
                double dense = values.Average(v => denseValues[(v.Length, v.Depth, v.Index)]);
                var byLength = values.GroupBy(v => v.Length).ToDictionary(g => g.Key.ToString(CultureInfo.InvariantCulture), g => g.Average(v => v.Value));
                int correct = task.IsRetrieval ? (int)Math.Round(values.Sum(v => v.Value)) : 0;
                var (low, high) = task.IsRetrieval ? WilsonInterval.Of(correct, values.Count) : (0, 0);
                perPolicy[policy.Name] = task.IsRetrieval
                    ? new PolicyScore
                    {
                        Accuracy = mean,
                        Correct = correct,
                        Interval = [low, high],
                        Retention = dense == 0 ? 0 : mean / dense,
                        Samples = values.Count,
                        ByLength = byLength,
                        ByDepth = values.GroupBy(v => v.Depth).ToDictionary(g => g.Key.ToString("0.##", CultureInfo.InvariantCulture), g => g.Average(v => v.Value)),
                    }
                    : new PolicyScore
                    {
                        Loss = mean,
                        Perplexity = Math.Exp(mean),
                        Retention = Math.Exp(dense - mean), // dense perplexity / policy perplexity
                        Samples = values.Count,
                        ByLength = byLength,
                    };
            }
            result[task.Name] = perPolicy;
        }
        return result;
    }
}
