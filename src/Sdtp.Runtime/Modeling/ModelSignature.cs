using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Sdtp.Modeling;

/// <summary>
/// A short identifier of a model's architecture: a hash of the configuration fields that shape its hidden states
/// (model type, widths, layer and head counts, vocabulary, RoPE and norm settings) and of every tensor's name and
/// shape. Heads record the signature of the model they were trained on, so loading them on another model is an error
/// instead of silent nonsense. It does not read the weights: two checkpoints of one architecture (a model and its
/// fine-tune) share a signature, and the dtype the model was loaded at does not change it.
/// </summary>
public static class ModelSignature
{
    /// <summary>The signature of <paramref name="model"/>: 16 lowercase hex digits.</summary>
    public static string Of(LlamaForCausalLM model)
    {
        var c = model.Config;
        var text = new StringBuilder();
        void Field(string name, object? value) => text.Append(name).Append('=').Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append('\n');
        Field("model_type", c.ModelType);
        Field("hidden_size", c.HiddenSize);
        Field("intermediate_size", c.IntermediateSize);
        Field("num_hidden_layers", c.NumHiddenLayers);
        Field("num_attention_heads", c.NumAttentionHeads);
        Field("num_key_value_heads", c.NumKeyValueHeads);
        Field("head_dim", c.HeadDim);
        Field("vocab_size", c.VocabSize);
        Field("rms_norm_eps", c.RmsNormEps.ToString("R", CultureInfo.InvariantCulture));
        Field("rope_theta", c.RopeTheta.ToString("R", CultureInfo.InvariantCulture));
        Field("rope_scaling", c.RopeScaling);
        Field("tie_word_embeddings", c.TieWordEmbeddings);
        Field("attention_bias", c.AttentionBias);
        Field("mlp_bias", c.MlpBias);
        foreach (var (name, tensor) in model.state_dict().OrderBy(p => p.Key, StringComparer.Ordinal))
            Field(name, string.Join("x", tensor.shape));
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return Convert.ToHexStringLower(hash.AsSpan(0, 8));
    }
}
