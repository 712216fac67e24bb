using System.CommandLine;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    public static Option<string?> Model() => new("--model")
    {
        Description = "checkpoint directory (config.json, model.safetensors, tokenizer); default: the embedded model",
    };

    public static Option<string> Out(string fallback, string what) => new("--out")
    {
        Description = what,
        DefaultValueFactory = _ => fallback,
    };
}
