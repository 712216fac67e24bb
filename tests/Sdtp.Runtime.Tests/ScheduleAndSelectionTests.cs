using Sdtp.Pruning;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

public class ScheduleAndSelectionTests
{
    [Fact]
    public void Geometric_schedule_matches_the_paper_and_keeps_about_35_percent()
    {
        var schedule = PruningSchedule.Geometric(4, 3, 10, 0.9).Validate(32);
        Assert.Equal([4, 7, 10, 13, 16, 19, 22, 25, 28, 31], schedule.Stages.Select(s => s.Layer));
        Assert.Equal(Math.Pow(0.9, 10), schedule.CumulativeKeepRatio(9), 12);
        var perLayer = schedule.TokensPerLayer(4096, 32);
        Assert.Equal(4096, perLayer[3]);
        Assert.Equal(3686, perLayer[4]);               // round_half_up(0.9 x 4096 = 3686.4)
        Assert.InRange(perLayer[31] / 4096.0, 0.34, 0.36);
    }

    [Theory]
    [InlineData(100, 0.5, 15, 50)]   // plain ratio
    [InlineData(100, 0.05, 15, 15)]  // never below the forced tokens
    [InlineData(12, 0.5, 15, 12)]    // shorter than the forced tokens: unpruned
    [InlineData(3, 0.1, 0, 1)]       // never 0
    [InlineData(5, 0.5, 0, 3)]       // 2.5 rounds half up
    public void Keep_counts_are_deterministic_integers(int present, double ratio, int forced, int expected) =>
        Assert.Equal(expected, PruningSchedule.KeepCount(ratio, present, forced));

    [Theory]
    [InlineData(new[] { 4, 4 }, new[] { 0.9, 0.9 }, "stage 1: Pruning layer 4 must come after the previous stage's layer 4")]
    [InlineData(new[] { 4, 3 }, new[] { 0.9, 0.9 }, "stage 1: Pruning layer 3 must come after the previous stage's layer 4")]
    [InlineData(new[] { 0 }, new[] { 0.9 }, "stage 0: Pruning layer 0 is outside [1, 7] for a model with NumLayers = 8 (SDTP003)")]
    [InlineData(new[] { 8 }, new[] { 0.9 }, "stage 0: Pruning layer 8 is outside [1, 7]")]
    [InlineData(new[] { 2 }, new[] { 0.0 }, "stage 0 (layer 2): Keep ratio 0 is outside (0, 1]")]
    [InlineData(new[] { 2 }, new[] { 1.5 }, "stage 0 (layer 2): Keep ratio 1.5 is outside (0, 1]")]
    public void Invalid_schedules_name_the_stage_and_value(int[] layers, double[] ratios, string expected)
    {
        var schedule = PruningSchedule.Explicit(layers.Zip(ratios, (l, r) => new PruningStage(l, r)));
        var e = Assert.Throws<PruningScheduleException>(() => schedule.Validate(8));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Always_keep_values_are_validated()
    {
        Assert.Contains("RecentFraction = 1", Assert.Throws<PruningScheduleException>(() =>
            new PruningSchedule([], new AlwaysKeepTokens(4, 1.0)).Validate(8)).Message);
        Assert.Contains("Initial = -1", Assert.Throws<PruningScheduleException>(() =>
            new PruningSchedule([], new AlwaysKeepTokens(-1, 0.1)).Validate(8)).Message);
        Assert.Equal(1, new AlwaysKeepTokens(4, 0).RecentCount(50)); // the last token always survives
        Assert.Equal(5, new AlwaysKeepTokens(4, 0.1).RecentCount(41)); // ceil(4.1)
    }

    [Fact]
    public void Selection_keeps_forced_tokens_then_the_best_scores_in_original_order()
    {
        // 12 tokens; forced: first 2 and the last ceil(0.1 x 12) = 2.
        var alwaysKeep = new AlwaysKeepTokens(2, 0.1);
        using var positions = arange(12L).unsqueeze(0);
        using var scores = tensor(new float[] { -9, -9, 5, 1, 7, 0, 6, -1, 2, 3, -9, -9 }).unsqueeze(0);
        using var forced = TokenSelection.ForcedMask(positions, null, [12], alwaysKeep);
        Assert.Equal([true, true, false, false, false, false, false, false, false, false, true, true], forced[0].data<bool>().ToArray());
        using var kept = TokenSelection.Select(scores, forced, null, 7);
        Assert.Equal([0L, 1, 2, 4, 6, 10, 11], kept[0].data<long>().ToArray()); // 7, 6 and 5 are the best unforced scores
    }

    [Fact]
    public void Batch_selection_uses_one_k_per_row_and_never_prefers_padding()
    {
        var alwaysKeep = new AlwaysKeepTokens(1, 0);
        // Row 0: 3 pads then 5 real tokens; row 1: 8 real tokens. Padding gets huge scores to prove they are ignored.
        using var valid = tensor(new[] { false, false, false, true, true, true, true, true, true, true, true, true, true, true, true, true }).view(2, 8);
        using var positions = tensor(new long[] { 0, 0, 0, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6, 7 }).view(2, 8);
        using var scores = tensor(new float[] { 99, 99, 99, 0, 3, 1, 2, 0, 0, 5, 4, 3, 2, 1, 0, 0 }).view(2, 8);
        using var forced = TokenSelection.ForcedMask(positions, valid, [5, 8], alwaysKeep);
        using var kept = TokenSelection.Select(scores, forced, valid, 4);
        Assert.Equal([3L, 4, 6, 7], kept[0].data<long>().ToArray());  // first + last forced, then scores 3 and 2
        Assert.Equal([0L, 1, 2, 7], kept[1].data<long>().ToArray());
        using var keptAll = TokenSelection.Select(scores, forced, valid, 7);
        Assert.Equal(5, TokenSelection.Gather(valid, keptAll)[0].sum().item<long>()); // all 5 real tokens before any pad
    }

    [Fact]
    public void Per_row_selection_keeps_each_rows_count_with_padding_slots_first()
    {
        var alwaysKeep = new AlwaysKeepTokens(1, 0);
        // The same two rows as above; row 0 keeps 3 of its 5 real tokens, row 1 keeps 5 of its 8.
        using var valid = tensor(new[] { false, false, false, true, true, true, true, true, true, true, true, true, true, true, true, true }).view(2, 8);
        using var positions = tensor(new long[] { 0, 0, 0, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6, 7 }).view(2, 8);
        using var scores = tensor(new float[] { 99, 99, 99, 0, 3, 1, 2, 0, 0, 5, 4, 3, 2, 1, 0, 0 }).view(2, 8);
        using var forced = TokenSelection.ForcedMask(positions, valid, [5, 8], alwaysKeep);
        using var kept = TokenSelection.SelectPerRow(scores, forced, valid, [3, 5]);
        Assert.Equal([false, false, true, true, true], kept.Valid![0].data<bool>().ToArray());
        Assert.Equal([3L, 4, 7], kept.Indices[0].data<long>().ToArray()[2..]);       // first + last forced, then score 3
        Assert.Equal([0L, 1, 2, 3, 7], kept.Indices[1].data<long>().ToArray());
        Assert.True(kept.Valid[1].all().item<bool>());
        // Without padding and with equal counts no validity is needed.
        using var full = TokenSelection.SelectPerRow(scores, forced, null, [4, 4]);
        Assert.Null(full.Valid);
    }

    [Fact]
    public void Gather_compacts_hidden_states_positions_and_masks_per_row()
    {
        using var hidden = arange(2 * 5 * 3).view(2, 5, 3).to_type(ScalarType.Float32);
        using var indices = tensor(new long[] { 0, 2, 4, 1, 3, 4 }).view(2, 3);
        using var compact = TokenSelection.Gather(hidden, indices);
        Assert.Equal([2L, 3, 3], compact.shape);
        Assert.Equal(hidden[1, 3].data<float>().ToArray(), compact[1, 1].data<float>().ToArray());
        using var positions = arange(10L).view(2, 5);
        Assert.Equal([6L, 8, 9], TokenSelection.Gather(positions, indices)[1].data<long>().ToArray());
    }
}
