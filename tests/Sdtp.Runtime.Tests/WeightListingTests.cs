using Sdtp.Checkpoints;
using Sdtp.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

/// <summary>Parameter names and shapes, built on the meta device (no memory), against approved listings.</summary>
public class WeightListingTests
{
    private static string Listing(ModelConfig config)
    {
        using var model = new LlamaForCausalLM(config, new Device(DeviceType.META), ScalarType.BFloat16);
        Assert.Equal(DeviceType.META, model.Device.type);
        return string.Join("\n", HuggingFaceCheckpoint.ExpectedTensors(model, config.TieWordEmbeddings)
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"{kv.Key} [{string.Join(", ", kv.Value.shape)}] {SafeTensorsDType.Name(kv.Value.dtype)}")) + "\n";
    }

    [Fact]
    public void Llama_3_2_1B_shapes_match_the_approved_listing() => ApprovedListing.Match("Llama-3.2-1B.weights", Listing(ModelConfig.Parse("""
        {"model_type": "llama", "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
         "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 64, "vocab_size": 128256,
         "tie_word_embeddings": true, "rope_theta": 500000.0,
         "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"}}
        """)));

    [Fact]
    public void Qwen2_shapes_with_qkv_bias_match_the_approved_listing() => ApprovedListing.Match("Qwen2-tiny.weights", Listing(ModelConfig.Parse("""
        {"model_type": "qwen2", "hidden_size": 64, "intermediate_size": 160, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1000, "tie_word_embeddings": false}
        """)));
}
