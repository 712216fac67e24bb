using static TorchSharp.torch;

namespace Sdtp.Modeling;

/// <summary>cos and sin tables for a batch of explicit position ids, shape [batch, tokens, head_dim].</summary>
public sealed record RotaryTable(Tensor Cos, Tensor Sin);

/// <summary>
/// Rotary position embeddings in Hugging Face's rotate-half layout. Positions are always passed explicitly:
/// after pruning, surviving tokens keep their ORIGINAL positions, which are no longer 0..n-1.
/// The frequencies are plain numbers, not a module buffer, so nothing position-related is ever persisted.
/// </summary>
public sealed class RotaryEmbedding
{
    private readonly double[] inverseFrequencies;

    /// <summary>Frequencies for <paramref name="config"/>'s head width, base and scaling.</summary>
    public RotaryEmbedding(ModelConfig config)
    {
        inverseFrequencies = RopeFrequencies.Inverse(config.HeadDim, config.RopeTheta, config.RopeScaling);
    }

    /// <summary>The inverse frequencies (head_dim / 2 of them).</summary>
    public IReadOnlyList<double> InverseFrequencies => inverseFrequencies;

    /// <summary>cos/sin for <paramref name="positionIds"/> [batch, tokens] (int64), cast to <paramref name="dtype"/>.</summary>
    public RotaryTable Table(Tensor positionIds, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var inv = tensor(inverseFrequencies, dtype: ScalarType.Float32, device: positionIds.device);
        // Angles in fp32: bf16 positions would round large ids.
        var angles = positionIds.to_type(ScalarType.Float32).unsqueeze(-1) * inv;
        var emb = cat([angles, angles], -1);
        var cos = emb.cos().to_type(dtype);
        var sin = emb.sin().to_type(dtype);
        return new RotaryTable(cos.MoveToOuterDisposeScope(), sin.MoveToOuterDisposeScope());
    }

    /// <summary>Rotates <paramref name="x"/> [batch, heads, tokens, head_dim] by the table's angles.</summary>
    public static Tensor Apply(Tensor x, RotaryTable table)
    {
        using var scope = NewDisposeScope();
        var cos = table.Cos.unsqueeze(1);
        var sin = table.Sin.unsqueeze(1);
        long half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat([-x2, x1], -1);
        return (x * cos).Plus(rotated * sin).MoveToOuterDisposeScope();
    }
}
