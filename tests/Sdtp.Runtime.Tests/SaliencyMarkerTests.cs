using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Training;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

public class SaliencyMarkerTests
{
    private static readonly long[] Sequence = [1, 9, 14, 3, 27, 8, 41, 5, 12, 30, 6, 19];

    [Fact]
    public void Saliency_matches_a_finite_difference_of_the_target_log_likelihood()
    {
        using var model = TinyModels.Random(TinyModels.Config(layers: 4), dtype: ScalarType.Float64);
        var schedule = PruningSchedule.Explicit([new(1, 0.5), new(3, 0.5)]);
        using var ids = tensor(Sequence).unsqueeze(0);
        // Targets: the last three tokens, as if they were the answer.
        using var targets = tensor(Sequence.Select((_, i) => i >= Sequence.Length - 3 ? 1L : 0L).ToArray()).unsqueeze(0);
        var saliency = SaliencyMarker.Mark(model, schedule, ids, targets);
        Assert.Equal(2, saliency.Length);

        using var noGrad = no_grad();
        using var positions = arange(Sequence.Length).unsqueeze(0);
        var rope = model.RotaryFor(positions);
        for (int s = 0; s < schedule.Stages.Count; s++)
        {
            int stageLayer = schedule.Stages[s].Layer;
            var stageInput = model.Embed(ids);
            for (int layer = 0; layer < stageLayer; layer++) stageInput = model.Layers[layer].Forward(stageInput, rope, null, null);

            double Objective(int token, double alpha)
            {
                // T with token i's stage input scaled by (1 + alpha); d/dalpha at 0 is sum_d dT/dx_i * x_i.
                var x = stageInput.clone();
                x[0, token] = x[0, token] * (1 + alpha);
                for (int layer = stageLayer; layer < model.Layers.Count; layer++) x = model.Layers[layer].Forward(x, rope, null, null);
                return SaliencyMarker.TargetLogLikelihood(model.Logits(x), ids, targets).item<double>();
            }

            const double h = 1e-5;
            var marked = saliency[s][0].data<float>().ToArray();
            for (int token = 0; token < Sequence.Length; token++)
            {
                double fd = (Objective(token, h) - Objective(token, -h)) / (2 * h);
                Assert.True(Math.Abs(fd - marked[token]) <= 1e-4 + 1e-3 * Math.Abs(fd),
                    $"stage {s}, token {token}: finite difference {fd}, marked {marked[token]}");
            }
            // The last token's input only feeds the prediction after it, which is not scored: its saliency is 0.
            Assert.Equal(0.0, marked[^1], 6);
        }
    }

    [Fact]
    public void Marking_keeps_no_backbone_gradient_and_changes_no_weight()
    {
        using var model = TinyModels.Random(TinyModels.Config());
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var ids = tensor(Sequence).unsqueeze(0);
        using var targets = ones_like(ids);
        SaliencyMarker.Mark(model, PruningSchedule.Explicit([new(1, 0.5)]), ids, targets);
        foreach (var (name, p) in model.named_parameters())
        {
            Assert.Null(p.grad);
            Assert.True(p.requires_grad, $"{name}: requires_grad was not restored");
            Assert.True(p.equal(before[name]).all().item<bool>(), $"{name} changed");
        }
    }

    [Fact]
    public void Normalization_is_absolute_value_over_row_maximum_ignoring_padding()
    {
        using var raw = tensor(new float[] { 5, -2, 1, -4, 100, 0, 0, 0 }).view(2, 4);
        using var valid = tensor(new[] { true, true, true, true, false, true, true, true }).view(2, 4);
        using var normalized = SaliencyMarker.Normalize(raw, valid);
        Assert.Equal([1f, 0.4f, 0.2f, 0.8f], normalized[0].data<float>().ToArray());
        Assert.Equal([0f, 0f, 0f, 0f], normalized[1].data<float>().ToArray()); // padding's 100 ignored; zeros stay zero
    }
}
