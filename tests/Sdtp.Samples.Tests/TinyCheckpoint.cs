namespace Sdtp.Samples.Tests;

/// <summary>
/// A random d = 32 checkpoint with the byte tokenizer, written to a folder: 8 layers (the annotated class's layer count)
/// unless told otherwise.
/// </summary>
internal static class TinyCheckpoint
{
    public static void Write(string dir, int layers = 8, int keyValueHeads = 4)
    {
        File.WriteAllText(Path.Combine(dir, "config.json"), $$"""
            {"model_type": "llama", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": {{layers}},
             "num_attention_heads": 4, "num_key_value_heads": {{keyValueHeads}}, "vocab_size": 259}
            """);
        Sdtp.Tokenization.TokenizerLoader.WriteByteTokenizerMarker(dir);
        using var model = new Sdtp.Modeling.LlamaForCausalLM(Sdtp.Modeling.ModelConfig.Load(Path.Combine(dir, "config.json")), TorchSharp.torch.CPU);
        Sdtp.Checkpoints.HuggingFaceCheckpoint.Save(model, dir);
    }
}
