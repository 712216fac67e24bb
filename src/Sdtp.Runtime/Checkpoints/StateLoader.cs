using static TorchSharp.torch;

namespace Sdtp.Checkpoints;

/// <summary>
/// Copies tensors from safetensors files into a module's state. TorchSharp's <c>load_state_dict</c> does not check
/// shapes, so this checks every name, shape and dtype first and reports every problem in one error; then it reads
/// one tensor at a time, straight into the module's tensor when the dtype matches and it lives on the CPU, else
/// through one temporary, so peak memory is the module plus at most one tensor.
/// </summary>
public static class StateLoader
{
    /// <summary>
    /// Loads <paramref name="expected"/> (name to target tensor) from <paramref name="files"/>; <paramref name="source"/>
    /// names them in errors. With <paramref name="checkFinite"/> every floating tensor is checked for NaN and infinity
    /// after conversion (one reduction per tensor), since such weights load fine and then generate garbage.
    /// </summary>
    public static void Load(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyList<SafeTensorsFile> files, string source,
        Func<string, bool> ignorable, bool checkFinite = true)
    {
        var located = new Dictionary<string, (SafeTensorsFile File, SafeTensorEntry Entry)>(StringComparer.Ordinal);
        foreach (var file in files)
            foreach (var (name, entry) in file.Entries)
                located[name] = (file, entry);
        Validate(source, expected, located, ignorable);

        using var noGrad = no_grad();
        foreach (var (name, target) in expected)
        {
            using var scope = NewDisposeScope();
            var (file, _) = located[name];
            if (file.CanReadInto(name, target)) file.ReadInto(name, target);
            else target.copy_(file.Read(name).to(target.dtype, target.device));
            if (checkFinite) CheckFinite(target, name, file.Path);
        }
    }

    /// <summary>Throws when floating <paramref name="tensor"/> holds NaN or infinity, naming <paramref name="name"/> in <paramref name="path"/>.</summary>
    public static void CheckFinite(Tensor tensor, string name, string path)
    {
        if (!tensor.is_floating_point()) return;
        using var scope = NewDisposeScope();
        // In slices, so the check's boolean temporaries stay small next to a large embedding table.
        var flat = tensor.reshape(-1);
        long bad = 0;
        for (long start = 0; start < flat.shape[0]; start += FiniteCheckSlice)
        {
            using var slice = NewDisposeScope();
            var part = flat.narrow(0, start, Math.Min(FiniteCheckSlice, flat.shape[0] - start));
            if (!part.isfinite().all().item<bool>()) bad += part.isfinite().logical_not().sum().item<long>();
        }
        if (bad > 0)
            throw new CheckpointException($"{path}: tensor '{name}' holds {bad} non-finite value{(bad == 1 ? "" : "s")} (NaN or infinity) of {tensor.numel()}; " +
                "the file is corrupt or was saved from a diverged run");
    }

    private static void Validate(string source, IReadOnlyDictionary<string, Tensor> expected,
        Dictionary<string, (SafeTensorsFile File, SafeTensorEntry Entry)> located, Func<string, bool> ignorable)
    {
        var missing = expected.Keys.Where(n => !located.ContainsKey(n)).ToList();
        var unexpected = located.Keys.Where(n => !expected.ContainsKey(n) && !ignorable(n)).ToList();
        var mismatched = new List<string>();
        foreach (var (name, target) in expected)
        {
            if (!located.TryGetValue(name, out var found)) continue;
            var entry = found.Entry;
            var file = Path.GetFileName(found.File.Path);
            if (!entry.Shape.SequenceEqual(target.shape))
                mismatched.Add($"{name}: shape [{string.Join(", ", entry.Shape)}] in {file}, model expects [{string.Join(", ", target.shape)}]");
            else if (target.is_floating_point() && !IsFloating(entry.DType))
                mismatched.Add($"{name}: dtype {SafeTensorsDType.Name(entry.DType)} in {file}, model expects a floating dtype (F32, F16, BF16)");
        }
        if (missing.Count + unexpected.Count + mismatched.Count == 0) return;

        var lines = new List<string> { $"{source}: checkpoint does not match the model:" };
        if (missing.Count > 0) lines.Add($"  missing ({missing.Count}): {string.Join(", ", missing)}");
        if (unexpected.Count > 0) lines.Add($"  unexpected ({unexpected.Count}): {string.Join(", ", unexpected)}");
        if (mismatched.Count > 0) lines.Add($"  mismatched ({mismatched.Count}):" + string.Concat(mismatched.Select(m => "\n    " + m)));
        throw new CheckpointException(string.Join('\n', lines));
    }

    private const long FiniteCheckSlice = 1 << 22;

    private static bool IsFloating(ScalarType t) =>
        t is ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64;
}
