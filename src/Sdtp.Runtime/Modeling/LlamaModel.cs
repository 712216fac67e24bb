using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sdtp.Modeling;

/// <summary>The decoder body, HF's <c>model.</c> prefix: token embeddings, the layers and the final norm.</summary>
public sealed class LlamaModel : nn.Module
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly RmsNorm norm;
    private readonly System.Collections.ObjectModel.ReadOnlyCollection<LlamaDecoderLayer> layersView;

    /// <summary>A body shaped by <paramref name="config"/>.</summary>
    public LlamaModel(ModelConfig config, Device? device = null, ScalarType? dtype = null, ParameterInit init = ParameterInit.Random) : base(nameof(LlamaModel))
    {
        embed_tokens = InitializedLayers.Embedding(config.VocabSize, config.HiddenSize, device, dtype, init);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers)
            .Select(_ => new LlamaDecoderLayer(config, device, dtype, init)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        RegisterComponents();
        layersView = new(layers);
    }

    /// <summary>The token embedding table.</summary>
    public Embedding EmbedTokens => embed_tokens;

    /// <summary>The decoder layers in order.</summary>
    public IReadOnlyList<LlamaDecoderLayer> Layers => layersView;

    /// <summary>The norm applied after the last layer.</summary>
    public RmsNorm Norm => norm;
}
