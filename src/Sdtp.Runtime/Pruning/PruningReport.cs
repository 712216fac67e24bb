namespace Sdtp.Pruning;

/// <summary>What one stage kept.</summary>
/// <param name="Stage">Stage index.</param>
/// <param name="Layer">Layer the stage sits before.</param>
/// <param name="TokensIn">Tokens per row that reached the stage (padding included).</param>
/// <param name="TokensKept">Tokens per row kept.</param>
/// <param name="KeptPositions">Per batch row, the original positions kept (ascending); padding excluded. Empty unless recorded.</param>
public sealed record StageReport(int Stage, int Layer, int TokensIn, int TokensKept, IReadOnlyList<long[]> KeptPositions);

/// <summary>What a pruned prefill did, stage by stage: the evaluation and the plots read it.</summary>
/// <param name="OriginalLength">Tokens per row before pruning (padding included).</param>
/// <param name="TokensPerLayer">Tokens each layer ran on.</param>
/// <param name="Stages">One entry per stage.</param>
public sealed record PruningReport(int OriginalLength, IReadOnlyList<int> TokensPerLayer, IReadOnlyList<StageReport> Stages)
{
    /// <summary>Share of the input tokens pruned by the last stage (the paper's "65% pruned"): 1 - final / original.</summary>
    public double PrunedFraction => 1 - FinalKeepFraction;

    /// <summary>Share of token-layer work removed: 1 - mean(tokens per layer) / original.</summary>
    public double LayerAveragedPrunedFraction => OriginalLength == 0 ? 0 : 1 - TokensPerLayer.Average() / OriginalLength;

    /// <summary>The paper's "compression": original tokens / average tokens per layer.</summary>
    public double Compression => TokensPerLayer.Count == 0 ? 1 : OriginalLength / TokensPerLayer.Average();

    /// <summary>Share of the original tokens left after the last stage.</summary>
    public double FinalKeepFraction => OriginalLength == 0 ? 1 : (double)TokensPerLayer[^1] / OriginalLength;
}
