namespace Sdtp.Evaluation.BaseTraining;

/// <summary>
/// One row of a training batch: its token ids, each token's loss weight, and the tokens that must not stand at some
/// positions (a repeat of an earlier item of a list answer, <see cref="RepeatedItems"/>), by position in the row.
/// </summary>
public sealed record TrainingRow(int[] Ids, float[] Weights, IReadOnlyList<(int Position, int Token)> Avoided);
