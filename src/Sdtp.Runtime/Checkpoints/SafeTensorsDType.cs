using static TorchSharp.torch;

namespace Sdtp.Checkpoints;

/// <summary>The safetensors dtype names this runtime reads and writes, and their torch equivalents.</summary>
public static class SafeTensorsDType
{
    private static readonly Dictionary<string, ScalarType> ByName = new()
    {
        ["F64"] = ScalarType.Float64,
        ["F32"] = ScalarType.Float32,
        ["F16"] = ScalarType.Float16,
        ["BF16"] = ScalarType.BFloat16,
        ["I64"] = ScalarType.Int64,
        ["I32"] = ScalarType.Int32,
        ["I16"] = ScalarType.Int16,
        ["I8"] = ScalarType.Int8,
        ["U8"] = ScalarType.Byte,
        ["BOOL"] = ScalarType.Bool,
    };

    /// <summary>Every supported name.</summary>
    public static IReadOnlyCollection<string> Supported => ByName.Keys;

    /// <summary>The torch dtype for <paramref name="name"/>, or false when unsupported (e.g. F8_E4M3).</summary>
    public static bool TryParse(string name, out ScalarType dtype) => ByName.TryGetValue(name, out dtype);

    /// <summary>The safetensors name of <paramref name="dtype"/>.</summary>
    public static string Name(ScalarType dtype) =>
        ByName.FirstOrDefault(kv => kv.Value == dtype).Key
        ?? throw new NotSupportedException($"dtype {dtype} has no safetensors name here");

    /// <summary>Bytes per element.</summary>
    public static int Size(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool => 1,
        _ => throw new NotSupportedException($"dtype {dtype} is not supported"),
    };

    /// <summary>HF's <c>torch_dtype</c> spelling: the name <see cref="Modeling.ModelConfig.TorchDtypes"/> reads back.</summary>
    public static string TorchName(ScalarType dtype) =>
        Modeling.ModelConfig.TorchDtypes.FirstOrDefault(kv => kv.Value == dtype).Key ?? dtype.ToString().ToLowerInvariant();
}
