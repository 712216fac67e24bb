using System.Globalization;
using Sdtp.Checkpoints;
using static TorchSharp.torch;

namespace Sdtp.Modeling;

/// <summary>
/// Refuses, before anything is allocated, a model whose parameters cannot fit: libtorch would otherwise abort the
/// process or throw its C++ stack for a config with, say, a vocabulary of two billion.
/// </summary>
public static class ModelMemory
{
    /// <summary>Bytes the parameters of <paramref name="config"/> take at <paramref name="dtype"/>; infinity when their count overflows a long.</summary>
    public static double ParameterBytes(ModelConfig config, ScalarType dtype)
    {
        try
        {
            return (double)config.ParameterCount() * SafeTensorsDType.Size(dtype);
        }
        catch (OverflowException)
        {
            return double.PositiveInfinity;
        }
    }

    /// <summary>Memory free for new allocations on <paramref name="device"/>, or null when it cannot be told (an accelerator).</summary>
    public static long? AvailableBytes(Device device)
    {
        if (device.type != TorchSharp.DeviceType.CPU) return null;
        const string meminfo = "/proc/meminfo";
        if (File.Exists(meminfo))
            foreach (var line in File.ReadLines(meminfo))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal)
                    && long.TryParse(line["MemAvailable:".Length..].Trim().Split(' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var kib))
                    return kib * 1024;
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    /// <summary>Throws when the parameters of <paramref name="config"/> exceed the memory <paramref name="device"/> has free.</summary>
    /// <param name="source">Names the config in the message (its file), when known.</param>
    public static void EnsureFits(ModelConfig config, Device device, ScalarType dtype, string? source = null)
    {
        double needed = ParameterBytes(config, dtype);
        if (AvailableBytes(device) is not long available || needed <= available) return;
        throw new ModelConfigException(source ?? "config", null,
            $"the model needs about {Gib(needed)} GiB for its parameters at {dtype} (hidden_size {config.HiddenSize}, intermediate_size {config.IntermediateSize}, " +
            $"num_hidden_layers {config.NumHiddenLayers}, vocab_size {config.VocabSize}) but only {Gib(available)} GiB of memory is available");
    }

    private static string Gib(double bytes) => double.IsInfinity(bytes) ? "more than 9e9"
        : (bytes / (1L << 30)).ToString(bytes < 100.0 * (1L << 30) ? "F2" : "N0", CultureInfo.InvariantCulture);
}
