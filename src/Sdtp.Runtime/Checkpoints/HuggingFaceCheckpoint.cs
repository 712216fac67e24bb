using System.Text.Json;
using System.Text.Json.Nodes;
using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Checkpoints;

/// <summary>
/// A Hugging Face checkpoint directory: <c>config.json</c> plus <c>model.safetensors</c>, or shards listed by
/// <c>model.safetensors.index.json</c>.
/// </summary>
public static class HuggingFaceCheckpoint
{
    /// <summary>The single-file weights name.</summary>
    public const string WeightsFile = "model.safetensors";
    /// <summary>The shard index name.</summary>
    public const string IndexFile = "model.safetensors.index.json";
    /// <summary>The config name.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>Builds the model <paramref name="directory"/>'s config describes and loads its weights.</summary>
    public static LlamaForCausalLM Load(string directory, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        var config = ModelConfig.Load(Path.Combine(directory, ConfigFile));
        var model = new LlamaForCausalLM(config, device, dtype);
        try
        {
            LoadWeights(model, directory);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Copies <paramref name="directory"/>'s weights into <paramref name="model"/>, converting floating dtypes to the
    /// model's. Every name, shape and dtype is checked before anything is copied; all problems are reported in one
    /// error. Tensors are then read and copied one at a time, so peak memory is the model plus one tensor.
    /// </summary>
    public static void LoadWeights(nn.Module model, string directory, bool tiedLmHead = false)
    {
        tiedLmHead |= model is LlamaForCausalLM lm && lm.Config.TieWordEmbeddings;
        var files = OpenWeights(directory);
        try
        {
            var expected = ExpectedTensors(model, tiedLmHead);
            var located = new Dictionary<string, (SafeTensorsFile File, SafeTensorEntry Entry)>(StringComparer.Ordinal);
            foreach (var file in files)
                foreach (var (name, entry) in file.Entries)
                    located[name] = (file, entry);
            Validate(directory, expected, located, tiedLmHead);

            using var noGrad = no_grad();
            foreach (var (name, target) in expected)
            {
                using var scope = NewDisposeScope();
                var (file, _) = located[name];
                var source = file.Read(name);
                target.copy_(source.to(target.dtype, target.device));
            }
        }
        finally
        {
            foreach (var file in files) file.Dispose();
        }
    }

    /// <summary>
    /// Writes <paramref name="model"/> as <c>config.json</c> + <c>model.safetensors</c> in <paramref name="directory"/>,
    /// each file atomically. A tied LM head is stored once, under the embedding's name, as HF does.
    /// </summary>
    public static void Save(LlamaForCausalLM model, string directory)
    {
        Directory.CreateDirectory(directory);
        var tensors = ExpectedTensors(model, model.Config.TieWordEmbeddings);
        SafeTensorsFile.Write(Path.Combine(directory, WeightsFile), tensors);
        var config = model.Config with { TorchDtype = SafeTensorsDType.TorchName(model.DType) };
        AtomicFile.WriteText(Path.Combine(directory, ConfigFile), config.ToJson());
    }

    /// <summary>The tensors a checkpoint of <paramref name="model"/> must hold: its state, less a tied LM head.</summary>
    public static IReadOnlyDictionary<string, Tensor> ExpectedTensors(nn.Module model, bool tiedLmHead)
    {
        var state = model.state_dict();
        if (tiedLmHead) state.Remove("lm_head.weight");
        return state;
    }

    private static List<SafeTensorsFile> OpenWeights(string directory)
    {
        if (!Directory.Exists(directory))
            throw new CheckpointException($"{directory}: checkpoint directory not found");
        var single = Path.Combine(directory, WeightsFile);
        var index = Path.Combine(directory, IndexFile);
        if (File.Exists(single)) return [SafeTensorsFile.Open(single)];
        if (!File.Exists(index))
            throw new CheckpointException($"{directory}: neither {WeightsFile} nor {IndexFile} found (only safetensors checkpoints are supported)");

        var shards = ReadIndex(index);
        var files = new List<SafeTensorsFile>();
        try
        {
            foreach (var (shard, names) in shards)
            {
                var file = SafeTensorsFile.Open(Path.Combine(directory, shard));
                files.Add(file);
                var absent = names.Where(n => !file.Entries.ContainsKey(n)).ToList();
                if (absent.Count > 0)
                    throw new CheckpointException(
                        $"{index}: weight_map puts {string.Join(", ", absent.Take(5))}{(absent.Count > 5 ? $" and {absent.Count - 5} more" : "")} in {shard}, which does not hold them");
            }
            return files;
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    private static Dictionary<string, List<string>> ReadIndex(string indexPath)
    {
        JsonObject? root;
        try { root = JsonNode.Parse(File.ReadAllText(indexPath)) as JsonObject; }
        catch (JsonException e) { throw new CheckpointException($"{indexPath}: malformed JSON: {e.Message}"); }
        if (root?["weight_map"] is not JsonObject map)
            throw new CheckpointException($"{indexPath}: field 'weight_map' is missing or not an object");
        var shards = new Dictionary<string, List<string>>();
        foreach (var (name, node) in map)
        {
            if (node is not JsonValue v || !v.TryGetValue<string>(out var shard) || shard.Contains('/') || shard.Contains('\\'))
                throw new CheckpointException($"{indexPath}: weight_map['{name}'] must be a shard file name, found {node?.ToJsonString() ?? "null"}");
            if (!shards.TryGetValue(shard, out var names)) shards[shard] = names = [];
            names.Add(name);
        }
        return shards;
    }

    private static void Validate(string directory, IReadOnlyDictionary<string, Tensor> expected,
        Dictionary<string, (SafeTensorsFile File, SafeTensorEntry Entry)> located, bool tiedLmHead)
    {
        var missing = expected.Keys.Where(n => !located.ContainsKey(n)).ToList();
        var unexpected = located.Keys.Where(n => !expected.ContainsKey(n) && !IsIgnorable(n, tiedLmHead)).ToList();
        var mismatched = new List<string>();
        foreach (var (name, target) in expected)
        {
            if (!located.TryGetValue(name, out var found)) continue;
            var entry = found.Entry;
            if (!entry.Shape.SequenceEqual(target.shape))
                mismatched.Add($"{name}: shape [{string.Join(", ", entry.Shape)}] in {Path.GetFileName(found.File.Path)}, model expects [{string.Join(", ", target.shape)}]");
            else if (target.is_floating_point() && !IsFloating(entry.DType))
                mismatched.Add($"{name}: dtype {SafeTensorsDType.Name(entry.DType)} in {Path.GetFileName(found.File.Path)}, model expects a floating dtype (F32, F16, BF16)");
        }
        if (missing.Count + unexpected.Count + mismatched.Count == 0) return;

        var lines = new List<string> { $"{directory}: checkpoint does not match the model:" };
        if (missing.Count > 0) lines.Add($"  missing ({missing.Count}): {string.Join(", ", missing)}");
        if (unexpected.Count > 0) lines.Add($"  unexpected ({unexpected.Count}): {string.Join(", ", unexpected)}");
        if (mismatched.Count > 0) lines.Add($"  mismatched ({mismatched.Count}):" + string.Concat(mismatched.Select(m => "\n    " + m)));
        throw new CheckpointException(string.Join('\n', lines));
    }

    // Old LLaMA exports stored the rotary frequencies; a tied model may still carry a copy of its LM head.
    private static bool IsIgnorable(string name, bool tiedLmHead) =>
        name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal) || (tiedLmHead && name == "lm_head.weight");

    private static bool IsFloating(ScalarType t) => t is ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64;
}
