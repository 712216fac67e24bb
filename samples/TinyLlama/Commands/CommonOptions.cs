using System.CommandLine;
using Sdtp.Evaluation;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    public static Option<string?> Model() => new("--model")
    {
        Description = "checkpoint directory (config.json, model.safetensors, tokenizer); default: the embedded model",
    };

    public static Option<string?> Heads() => new("--heads")
    {
        Description = "trained heads file to use; default: sdtp_heads.safetensors in the model directory",
    };

    public static Option<string?> Schedule() => new("--schedule")
    {
        Description = $"where to prune and how much to keep, for a checkpoint the annotated class does not describe: {Sdtp.Pruning.PruningScheduleSyntax.Summary}; " +
            "default: the schedule the heads file records, else the annotated TinyLlama's (8 layers)",
    };

    public static Option<string?> DType() => new("--dtype")
    {
        Description = "f32, bf16 or f16: the dtype weights are loaded and run at; default: the checkpoint's own (torch_dtype in config.json)",
    };

    /// <summary>A dtype option's value (<paramref name="option"/>, <c>--dtype</c> by default) as a TorchSharp dtype (null when not given), or a one-line error.</summary>
    public static TorchSharp.torch.ScalarType? ParseDType(string? text, string option = "--dtype") => text?.Trim().ToLowerInvariant() switch
    {
        null => null,
        "f32" or "fp32" or "float32" => TorchSharp.torch.ScalarType.Float32,
        "bf16" or "bfloat16" => TorchSharp.torch.ScalarType.BFloat16,
        "f16" or "fp16" or "float16" => TorchSharp.torch.ScalarType.Float16,
        _ => throw new ArgumentException($"{option} must be f32, bf16 or f16 (got {text})"),
    };

    public static Option<EvaluationSuite> Suite(string what, EvaluationSuite fallback = EvaluationSuite.Templates) => new("--suite")
    {
        Description = what,
        DefaultValueFactory = _ => fallback,
    };

    public static Option<string> Out(string fallback, string what) => new("--out")
    {
        Description = what,
        DefaultValueFactory = _ => fallback,
    };

    /// <summary>Refuses a <c>--kv-budget</c> that leaves no room beside the attention sinks every layer keeps.</summary>
    public static void RequireKvBudget(int budget)
    {
        if (budget <= Sdtp.Pruning.SinkWindowEviction.DefaultSinks)
            throw new ArgumentException($"--kv-budget must exceed the {Sdtp.Pruning.SinkWindowEviction.DefaultSinks} attention-sink rows every layer keeps (got {budget})");
    }

    /// <summary>Refuses a count option below 1 in one line that names it; commands call it before anything loads.</summary>
    public static void RequireAtLeastOne(string option, int value)
    {
        if (value < 1) throw new ArgumentException($"{option} must be at least 1 (got {value})");
    }

    /// <summary>Refuses a count option below 0 (0 meaning none), naming it.</summary>
    public static void RequireNonNegative(string option, int value)
    {
        if (value < 0) throw new ArgumentException($"{option} must be 0 or more (got {value})");
    }

    /// <summary>Refuses a quantity that is not a positive finite number (NaN and infinity included), naming it.</summary>
    public static void RequirePositive(string option, double value)
    {
        if (!(value > 0 && double.IsFinite(value))) throw new ArgumentException($"{option} must be a positive number (got {value})");
    }
}
