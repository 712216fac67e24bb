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

    /// <summary>
    /// Builds the model <paramref name="directory"/>'s config describes and loads its weights, at
    /// <paramref name="dtype"/> or, when null, the checkpoint's own (<see cref="ModelConfig.WeightsDType"/>). The
    /// parameters are allocated uninitialised and filled once, so loading costs no random draw and, at the checkpoint's
    /// dtype, no conversion. <paramref name="checkFinite"/> refuses NaN or infinite weights (see <see cref="StateLoader.Load"/>).
    /// </summary>
    public static LlamaForCausalLM Load(string directory, Device? device = null, ScalarType? dtype = null, bool checkFinite = true)
    {
        var configPath = Path.Combine(directory, ConfigFile);
        var config = ModelConfig.Load(configPath);
        var chosen = dtype ?? config.WeightsDType;
        ModelMemory.EnsureFits(config, device ?? Devices.Default, chosen, configPath);
        var model = new LlamaForCausalLM(config, device, chosen, ParameterInit.Uninitialized);
        try
        {
            LoadWeights(model, directory, checkFinite: checkFinite);
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
    /// model's. Every name, shape and dtype is checked before anything is copied (see <see cref="StateLoader"/>).
    /// </summary>
    public static void LoadWeights(nn.Module model, string directory, bool tiedLmHead = false, bool checkFinite = true)
    {
        tiedLmHead |= model is LlamaForCausalLM lm && lm.Config.TieWordEmbeddings;
        var files = OpenWeights(directory);
        try
        {
            StateLoader.Load(ExpectedTensors(model, tiedLmHead), files, directory, name => IsIgnorable(name, tiedLmHead), checkFinite);
        }
        finally
        {
            foreach (var file in files) file.Dispose();
        }
    }

    /// <summary>Copies one safetensors file into <paramref name="module"/>, with the same checks as <see cref="LoadWeights"/>.</summary>
    public static void LoadFile(nn.Module module, string path, bool checkFinite = true)
    {
        using var file = SafeTensorsFile.Open(path);
        StateLoader.Load(module.state_dict(), [file], path, _ => false, checkFinite);
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

    // Old LLaMA exports stored the rotary frequencies; a tied model may still carry a copy of its LM head.
    private static bool IsIgnorable(string name, bool tiedLmHead) =>
        name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal) || (tiedLmHead && name == "lm_head.weight");
}
