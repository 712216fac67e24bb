using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sdtp.Modeling;

/// <summary>How a model's projections and embeddings start out.</summary>
public enum ParameterInit
{
    /// <summary>TorchSharp's default random initialisation: for training from scratch.</summary>
    Random,

    /// <summary>
    /// Allocated but not written (<c>torch.empty</c>): for a model whose every weight a checkpoint loader fills next.
    /// Skips the random draw (about a second at 360M parameters on two cores) and touches no memory before the copy.
    /// </summary>
    Uninitialized,
}

/// <summary>The layers of the model built as <see cref="ParameterInit"/> says.</summary>
internal static class InitializedLayers
{
    /// <summary>A Linear(<paramref name="inputs"/>, <paramref name="outputs"/>) layer.</summary>
    public static Linear Linear(long inputs, long outputs, bool hasBias, Device? device, ScalarType? dtype, ParameterInit init) =>
        init == ParameterInit.Random
            ? nn.Linear(inputs, outputs, hasBias, device, dtype)
            : nn.Linear(new Parameter(empty([outputs, inputs], dtype, device)), hasBias ? new Parameter(empty([outputs], dtype, device)) : null);

    /// <summary>An embedding table of <paramref name="count"/> rows of <paramref name="width"/>.</summary>
    public static Embedding Embedding(long count, long width, Device? device, ScalarType? dtype, ParameterInit init)
    {
        if (init == ParameterInit.Random) return nn.Embedding(count, width, device: device, dtype: dtype);
        // A one-row table given real, unwritten storage of the full size: its forward reads only the weight. Not
        // Embedding_from_pretrained (its state_dict() hands out a copy, so a loader's copy_ never reached the table),
        // nor the meta device (TorchSharp 0.107 still allocated the whole table on the CPU for it: +280 MB transient
        // at 49,152 x 960).
        var embedding = nn.Embedding(1, width, device: device, dtype: dtype);
        embedding.weight = new Parameter(empty([count, width], dtype, device));
        return embedding;
    }
}
