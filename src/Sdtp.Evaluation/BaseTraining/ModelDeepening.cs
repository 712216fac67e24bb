using System.Text.RegularExpressions;
using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Evaluation.BaseTraining;

/// <summary>
/// Grows a trained model by <c>added</c> decoder layers without changing what it computes, so that training can go on
/// from what it already knows with more depth (the depth half of Net2Net's idea, with zero-initialised writes).
/// <para>
/// The new layers are spread evenly between the old ones: new layer <c>j</c> of <c>K</c> follows old layer
/// <c>floor((j + 1) L / K) - 1</c>, so 4 new layers in 8 follow every second old one. A new layer keeps its random
/// initialisation except for the two projections that WRITE into the residual stream (<c>o_proj</c>, <c>down_proj</c>),
/// which start at zero: the layer then adds nothing, and its random reads give those zero writes gradients from the
/// first step. Every old weight (embedding, layers, final norm, LM head) is copied unchanged.
/// </para>
/// </summary>
public static class ModelDeepening
{
    /// <summary>
    /// Where each layer of the deeper model comes from: the old layer's index, or null for a new identity layer.
    /// </summary>
    /// <exception cref="ArgumentException">The count is below 1 or above the old depth.</exception>
    public static IReadOnlyList<int?> LayerSources(int oldLayers, int added)
    {
        if (added < 1 || added > oldLayers)
            throw new ArgumentException($"--add-layers must be between 1 and the model's {oldLayers} layers (got {added})");
        var sources = new List<int?>();
        int next = 0;
        for (int old = 0; old < oldLayers; old++)
        {
            sources.Add(old);
            // New layers whose place is after this old layer (at most one, since added <= oldLayers).
            for (; next < added && (next + 1) * oldLayers / added - 1 == old; next++) sources.Add(null);
        }
        return sources;
    }

    /// <summary>A model <paramref name="added"/> layers deeper than <paramref name="source"/> with the same logits.</summary>
    public static LlamaForCausalLM Deepen(LlamaForCausalLM source, int added)
    {
        var sources = LayerSources(source.Config.NumHiddenLayers, added);
        var deeper = new LlamaForCausalLM(source.Config with { NumHiddenLayers = sources.Count }, source.Device, source.DType);
        var old = source.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var _ = no_grad();
        foreach (var (name, target) in deeper.named_parameters())
        {
            if (source.Config.TieWordEmbeddings && name == "lm_head.weight") continue; // the embedding's storage, set with it
            var layer = LayerName.Match(name);
            if (!layer.Success)
            {
                target.copy_(old[name]);
                continue;
            }
            if (sources[int.Parse(layer.Groups[1].Value)] is int from)
                target.copy_(old[$"model.layers.{from}.{layer.Groups[2].Value}"]);
            else if (ResidualWrites.IsLayerWrite(name))
                target.zero_();
        }
        return deeper;
    }

    private static readonly Regex LayerName = new(@"^model\.layers\.(\d+)\.(.+)$", RegexOptions.CultureInvariant);
}
