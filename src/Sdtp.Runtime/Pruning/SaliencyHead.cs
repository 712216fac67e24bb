using Sdtp.Modeling;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sdtp.Pruning;

/// <summary>
/// The prediction module of one stage: Linear(d, inner) -> GELU -> Linear(inner, 2) on each token's hidden state, giving
/// keep/drop logits (inner = d/4 by default, the method's choice). The keep score is their difference, so top-k on it
/// is top-k on P(keep). An average of several heads (<see cref="SaliencyHeads.Average"/>) is one wider head.
/// <para>
/// (Choice) The hidden state is first divided by its root mean square (no learned scale). The residual stream of a
/// trained model has large norms that differ by layer and token; fed raw, the heads of the demo model saturated and
/// their ranking loss rose during training instead of falling.
/// </para>
/// </summary>
public sealed class SaliencyHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;

    /// <summary>A head for hidden width <paramref name="hiddenSize"/> with <paramref name="innerSize"/> hidden units (default <see cref="DefaultInnerSize"/>).</summary>
    public SaliencyHead(long hiddenSize, Device? device = null, ScalarType? dtype = null, long? innerSize = null) : base(nameof(SaliencyHead))
    {
        long inner = innerSize ?? DefaultInnerSize(hiddenSize);
        if (inner < 1) throw new ArgumentOutOfRangeException(nameof(innerSize), inner, "a head needs at least one hidden unit");
        fc1 = nn.Linear(hiddenSize, inner, hasBias: true, device, dtype);
        fc2 = nn.Linear(inner, 2, hasBias: true, device, dtype);
        RegisterComponents();
    }

    /// <summary>The method's hidden width for a model of width <paramref name="hiddenSize"/>: d/4 (at least 1).</summary>
    public static long DefaultInnerSize(long hiddenSize) => Math.Max(1, hiddenSize / 4);

    /// <summary>Hidden units between the two projections.</summary>
    public long InnerSize => fc1.out_features;

    /// <summary>First projection (the generated forward inlines its math, after <see cref="NormalizeInput"/>).</summary>
    public Linear Fc1 => fc1;

    /// <summary>Second projection.</summary>
    public Linear Fc2 => fc2;

    /// <summary>Keep/drop logits [B, n, 2] of hidden states [B, n, d].</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        return fc2.forward(nn.functional.gelu(fc1.forward(NormalizeInput(hidden, fc1.weight!.dtype)))).MoveToOuterDisposeScope();
    }

    /// <summary>The name of <see cref="NormalizeInput"/>'s scaling, recorded in heads files: heads trained on other inputs would score nonsense.</summary>
    public const string InputNormalization = "rms(eps=1e-6)";

    /// <summary>
    /// hidden / rms(hidden) over the last dimension, computed in fp32 (fp64 stays fp64) and given at
    /// <paramref name="dtype"/>, the heads' own: the heads' input scaling.
    /// </summary>
    public static Tensor NormalizeInput(Tensor hidden, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var x = hidden.dtype == ScalarType.Float64 ? hidden : hidden.to_type(ScalarType.Float32);
        return (x * rsqrt(x.Squared().mean([-1], keepdim: true).Plus(1e-6))).to_type(dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Keep scores [B, n]: logit(keep) - logit(drop).</summary>
    public Tensor Score(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var logits = forward(hidden);
        return logits.select(-1, 0).Minus(logits.select(-1, 1)).MoveToOuterDisposeScope();
    }
}
