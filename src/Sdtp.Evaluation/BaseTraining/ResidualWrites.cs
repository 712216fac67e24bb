namespace Sdtp.Evaluation.BaseTraining;

/// <summary>
/// Which parameters of a LLaMA checkpoint write into the residual stream: what growing a model must start at zero for
/// its new parts to add nothing (<see cref="ModelWidening"/>, <see cref="ModelDeepening"/>).
/// </summary>
internal static class ResidualWrites
{
    /// <summary>A decoder layer's projection whose output lands in the residual stream (<c>o_proj</c>, <c>down_proj</c>).</summary>
    public static bool IsLayerWrite(string name) =>
        name.Contains(".o_proj.", StringComparison.Ordinal) || name.Contains(".down_proj.", StringComparison.Ordinal);
}
