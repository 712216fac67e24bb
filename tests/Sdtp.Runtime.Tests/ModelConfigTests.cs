using Sdtp.Modeling;

namespace Sdtp.Runtime.Tests;

public class ModelConfigTests
{
    private const string Llama3 = """
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama",
          "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
          "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 64,
          "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "vocab_size": 128256,
          "max_position_embeddings": 131072, "tie_word_embeddings": true,
          "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                           "original_max_position_embeddings": 8192, "rope_type": "llama3"},
          "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "torch_dtype": "bfloat16",
          "attention_bias": false, "mlp_bias": false
        }
        """;

    [Fact]
    public void Llama3_config_is_read_field_by_field()
    {
        var c = ModelConfig.Parse(Llama3);
        Assert.Equal(("llama", 2048, 8192, 16, 32, 8, 64), (c.ModelType, c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim));
        Assert.Equal(new RopeScaling(32, 1, 4, 8192), c.RopeScaling);
        Assert.True(c.TieWordEmbeddings);
        Assert.Equal([128001, 128008, 128009], c.EosTokenIds);
        Assert.Equal(128000, c.BosTokenId);
        Assert.Equal(500000.0, c.RopeTheta);
        Assert.Equal(AttentionBias.None, c.AttentionBias);
    }

    [Fact]
    public void Qwen2_has_bias_on_q_k_v_only_and_derived_head_dim()
    {
        var c = ModelConfig.Parse("""
            {"model_type": "qwen2", "hidden_size": 896, "intermediate_size": 4864, "num_hidden_layers": 24,
             "num_attention_heads": 14, "num_key_value_heads": 2, "vocab_size": 151936, "rms_norm_eps": 1e-06,
             "rope_theta": 1000000.0, "tie_word_embeddings": true, "sliding_window": 32768, "use_sliding_window": false,
             "rope_scaling": null, "eos_token_id": 151643}
            """);
        Assert.Equal(new AttentionBias(true, true, true, false), c.AttentionBias);
        Assert.Equal(64, c.HeadDim);
        Assert.Null(c.SlidingWindow); // use_sliding_window: false
        Assert.Null(c.RopeScaling);
    }

    [Fact]
    public void Mistral_keeps_its_sliding_window_and_defaults_kv_heads()
    {
        var c = ModelConfig.Parse("""
            {"model_type": "mistral", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
             "num_attention_heads": 4, "vocab_size": 100, "sliding_window": 4096}
            """);
        Assert.Equal(4096, c.SlidingWindow);
        Assert.Equal(4, c.NumKeyValueHeads);
    }

    [Theory]
    [InlineData("""{"model_type": "gpt2", "hidden_size": 8}""", "field 'model_type': 'gpt2' is not supported; expected one of llama, qwen2, mistral")]
    [InlineData("""{"hidden_size": 8}""", "field 'model_type': required field is missing")]
    [InlineData("""{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 8, "num_hidden_layers": 1}""", "field 'vocab_size': required field is missing")]
    [InlineData("""{"model_type": "llama", "hidden_size": "big"}""", "field 'hidden_size': expected an integer, found \"big\"")]
    [InlineData("""{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "num_key_value_heads": 3}""", "field 'num_key_value_heads': 3 does not divide num_attention_heads = 2")]
    [InlineData("""{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 8, "num_hidden_layers": 1, "vocab_size": 5, "rope_scaling": {"rope_type": "yarn", "factor": 4}}""", "field 'rope_scaling': rope_type 'yarn' is not supported; supported: llama3, default (or null)")]
    [InlineData("""{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 8, "num_hidden_layers": 1, "vocab_size": 5, "rope_scaling": {"rope_type": "llama3", "factor": 8}}""", "field 'rope_scaling.low_freq_factor': expected a positive number")]
    [InlineData("""{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 8, "num_hidden_layers": 1, "vocab_size": 5, "rope_scaling": {"factor": 4}}""", "field 'rope_scaling': has no 'rope_type'")]
    [InlineData("""{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 8, "num_hidden_layers": 1, "vocab_size": 5, "rope_scaling": {"rope_type": 3}}""", "field 'rope_scaling.rope_type': expected a string, found 3")]
    [InlineData("""{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 8, "num_hidden_layers": 1, "vocab_size": 5, "rms_norm_eps": 3.5}""", "field 'rms_norm_eps': 3.5 is not a small epsilon")]
    [InlineData("""{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 8, "num_hidden_layers": 1, "vocab_size": 5, "rope_theta": 1}""", "field 'rope_theta': 1 must exceed 1")]
    [InlineData("""{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 8, "num_hidden_layers": 1, "vocab_size": 5, "bos_token_id": -1}""", "field 'bos_token_id': -1 is outside the vocabulary [0, 5)")]
    [InlineData("""{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 8, "num_hidden_layers": 1, "vocab_size": 5, "eos_token_id": [2, 9]}""", "field 'eos_token_id': 9 is outside the vocabulary [0, 5)")]
    [InlineData("""{"model_type": "llama", """, "malformed JSON")]
    public void Bad_configs_name_the_file_and_field(string json, string expected)
    {
        var e = Assert.Throws<ModelConfigException>(() => ModelConfig.Parse(json, "/models/x/config.json"));
        Assert.StartsWith("/models/x/config.json: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ToJson_round_trips()
    {
        var c = ModelConfig.Parse(Llama3);
        var again = ModelConfig.Parse(c.ToJson());
        Assert.Equal(c.ToJson(), again.ToJson());
        Assert.Equal(c with { EosTokenIds = again.EosTokenIds }, again);
    }

    [Fact]
    public void Parameter_count_matches_the_built_model()
    {
        foreach (var (type, tied) in new[] { ("llama", false), ("qwen2", true) })
        {
            var config = TinyModels.Config(type, tied);
            using var model = new LlamaForCausalLM(config, TorchSharp.torch.CPU);
            long counted = model.DistinctParameters().Sum(p => p.numel());
            Assert.Equal(config.ParameterCount(), counted);
            if (tied)
            {
                // The head really shares the embedding's storage: a write to one shows in the other.
                using var noGrad = TorchSharp.torch.no_grad();
                model.Body.EmbedTokens.weight!.fill_(0.5);
                var head = model.named_parameters().Single(p => p.name == "lm_head.weight").parameter;
                Assert.Equal(0.5f, head[3, 7].item<float>());
            }
        }
    }

    [Fact]
    public void A_config_that_cannot_fit_in_memory_is_refused_before_allocating_and_overflow_is_not_a_small_number()
    {
        var huge = TinyModels.Config() with { NumHiddenLayers = int.MaxValue, IntermediateSize = int.MaxValue, HiddenSize = int.MaxValue };
        Assert.Throws<OverflowException>(() => huge.ParameterCount());
        Assert.Equal(double.PositiveInfinity, ModelMemory.ParameterBytes(huge, TorchSharp.torch.ScalarType.Float32));
        var e = Assert.Throws<ModelConfigException>(() => new LlamaForCausalLM(TinyModels.Config() with { VocabSize = 2_000_000_000, HiddenSize = 4096 }, TorchSharp.torch.CPU));
        Assert.Contains("the model needs about 61,035 GiB for its parameters at Float32", e.Message);
        Assert.Equal(TinyModels.Config().ParameterCount() * 2.0, ModelMemory.ParameterBytes(TinyModels.Config(), TorchSharp.torch.ScalarType.BFloat16));
    }
}
