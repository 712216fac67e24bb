using Sdtp.Pruning;
using static TorchSharp.torch;

/// <summary>
/// A scorer whose score for a token is the largest of its inner scorer's scores within <c>radius</c> tokens either
/// side (among the tokens present at the stage, padding excluded): a token next to a kept one ranks as high as it, so
/// the bytes around a kept value or key are kept with it. With <c>mix</c> below 1 the score is
/// <c>(1 - mix) x own + mix x neighbours' max</c>, which lifts the neighbours part of the way and keeps the heads' order
/// among them. An inference-time experiment on trained heads.
/// </summary>
internal sealed class NeighbourMaxScorer(ITokenScorer inner, int radius, double mix = 1) : ITokenScorer
{
    public string Name => $"{inner.Name}+neighbours{radius}x{mix}";

    public Tensor Score(StageInput input)
    {
        using var scope = NewDisposeScope();
        var scores = inner.Score(input).to_type(ScalarType.Float32);
        if (input.Valid is not null) scores = scores.masked_fill(input.Valid.logical_not(), float.NegativeInfinity);
        // Max pooling pads with -inf, so the ends of a row see only real neighbours.
        var pooled = nn.functional.max_pool1d(scores.unsqueeze(1), 2 * radius + 1, stride: 1, padding: radius).squeeze(1);
        if (mix < 1) pooled = scores.mul(1 - mix).add(pooled.mul(mix));
        return pooled.MoveToOuterDisposeScope();
    }
}
