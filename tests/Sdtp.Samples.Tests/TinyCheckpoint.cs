namespace Sdtp.Samples.Tests;

/// <summary>A random 8-layer (the annotated class's layer count), d = 32 checkpoint with the byte tokenizer, written to a folder.</summary>
internal static class TinyCheckpoint
{
    public static void Write(string dir)
    {
        File.WriteAllText(Path.Combine(dir, "config.json"), """
            {"model_type": "llama", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 8,
             "num_attention_heads": 4, "vocab_size": 259}
            """);
        Sdtp.Tokenization.TokenizerLoader.WriteByteTokenizerMarker(dir);
        using var model = new Sdtp.Modeling.LlamaForCausalLM(Sdtp.Modeling.ModelConfig.Load(Path.Combine(dir, "config.json")), TorchSharp.torch.CPU);
        Sdtp.Checkpoints.HuggingFaceCheckpoint.Save(model, dir);
    }
}
