using static TorchSharp.torch;

namespace Sdtp.Checkpoints;

/// <summary>
/// Writes a copy of a Hugging Face checkpoint at another dtype: a bf16 copy ships at half an fp32 checkpoint's size and
/// loads without a conversion. The weights go through the same checked load as any other (names, shapes, finite
/// values), so a copy is never written from a checkpoint the runtime would refuse.
/// </summary>
public static class CheckpointConversion
{
    /// <summary>
    /// Loads <paramref name="source"/> at <paramref name="dtype"/> and writes it to <paramref name="destination"/> as
    /// <c>config.json</c> (its <c>torch_dtype</c> updated) and one <c>model.safetensors</c>. Every other top-level
    /// file (tokenizer, saliency heads) is copied as it is; the source's weight files and subdirectories (training
    /// state) are not. Refuses a destination that is the source or already holds a checkpoint, so nothing the user
    /// had is overwritten; each file is written atomically.
    /// </summary>
    public static void SaveAs(string source, string destination, ScalarType dtype)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"a checkpoint's weights can be written as float32, bfloat16 or float16, not {dtype}");
        var to = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destination));
        if (string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(source)), to, StringComparison.Ordinal))
            throw new ArgumentException($"{destination}: the copy must go to another directory than its source (the source is kept as it is)");
        if (File.Exists(Path.Combine(to, HuggingFaceCheckpoint.ConfigFile)) || File.Exists(Path.Combine(to, HuggingFaceCheckpoint.WeightsFile)))
            throw new ArgumentException($"{destination}: already holds a checkpoint; give a new directory");

        using (var model = HuggingFaceCheckpoint.Load(source, CPU, dtype))
            HuggingFaceCheckpoint.Save(model, destination);
        foreach (var file in Directory.GetFiles(source))
        {
            var name = Path.GetFileName(file);
            if (IsWeightsOrConfig(name)) continue;
            AtomicFile.Write(Path.Combine(destination, name), target =>
            {
                using var input = File.OpenRead(file);
                input.CopyTo(target);
            });
        }
    }

    /// <summary>
    /// The files <see cref="SaveAs"/> rewrites rather than copies: the config, the single-file weights, the shard index
    /// and its shards (Hugging Face names them <c>model-00001-of-00002.safetensors</c>).
    /// </summary>
    private static bool IsWeightsOrConfig(string name) =>
        name == HuggingFaceCheckpoint.ConfigFile || name == HuggingFaceCheckpoint.IndexFile ||
        (name.StartsWith("model", StringComparison.Ordinal) && name.EndsWith(".safetensors", StringComparison.Ordinal));
}
