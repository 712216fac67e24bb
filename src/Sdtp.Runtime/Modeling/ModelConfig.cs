using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sdtp.Modeling;

/// <summary>Which projections of the attention block carry a bias (Qwen2: q, k and v only).</summary>
public sealed record AttentionBias(bool Query, bool Key, bool Value, bool Output)
{
    /// <summary>No projection has a bias (LLaMA, Mistral).</summary>
    public static AttentionBias None { get; } = new(false, false, false, false);
}

/// <summary>
/// The architecture of a LLaMA-family decoder, read from a Hugging Face <c>config.json</c>
/// (<c>model_type</c> <c>llama</c>, <c>qwen2</c> or <c>mistral</c>).
/// </summary>
public sealed record ModelConfig
{
    /// <summary>The model types this runtime can build.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ["llama", "qwen2", "mistral"];

    /// <summary>HF <c>model_type</c>.</summary>
    public required string ModelType { get; init; }
    /// <summary>Embedding width d.</summary>
    public required int HiddenSize { get; init; }
    /// <summary>SwiGLU inner width m.</summary>
    public required int IntermediateSize { get; init; }
    /// <summary>Number of decoder layers.</summary>
    public required int NumHiddenLayers { get; init; }
    /// <summary>Query heads.</summary>
    public required int NumAttentionHeads { get; init; }
    /// <summary>Key/value heads (grouped-query attention when fewer than the query heads).</summary>
    public required int NumKeyValueHeads { get; init; }
    /// <summary>Width of one head: explicit <c>head_dim</c> or hidden size / heads.</summary>
    public required int HeadDim { get; init; }
    /// <summary>Vocabulary size.</summary>
    public required int VocabSize { get; init; }
    /// <summary>RMSNorm epsilon.</summary>
    public double RmsNormEps { get; init; } = 1e-6;
    /// <summary>RoPE base.</summary>
    public double RopeTheta { get; init; } = 10000.0;
    /// <summary>RoPE frequency scaling; null for plain RoPE.</summary>
    public RopeScaling? RopeScaling { get; init; }
    /// <summary>Whether the LM head shares the embedding matrix.</summary>
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Bias flags of the four attention projections.</summary>
    public AttentionBias AttentionBias { get; init; } = AttentionBias.None;
    /// <summary>Whether the MLP projections carry a bias (LLaMA's <c>mlp_bias</c>).</summary>
    public bool MlpBias { get; init; }
    /// <summary>Longest sequence the checkpoint was trained for.</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;
    /// <summary>Sliding attention window (Mistral, Qwen2 with <c>use_sliding_window</c>); null when attention is global.</summary>
    public int? SlidingWindow { get; init; }
    /// <summary>Beginning-of-sequence token id, if the checkpoint names one.</summary>
    public int? BosTokenId { get; init; }
    /// <summary>End-of-sequence token ids (HF allows a list).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    /// <summary>
    /// HF <c>torch_dtype</c> (or the newer <c>dtype</c>), if present: the dtype the weights were saved at, which
    /// <see cref="WeightsDType"/> turns into the dtype the model is loaded at unless the caller picks another.
    /// </summary>
    public string? TorchDtype { get; init; }

    /// <summary>The dtypes <c>torch_dtype</c> may name, and what each is here.</summary>
    public static IReadOnlyDictionary<string, TorchSharp.torch.ScalarType> TorchDtypes { get; } = new Dictionary<string, TorchSharp.torch.ScalarType>
    {
        ["float32"] = TorchSharp.torch.ScalarType.Float32,
        ["bfloat16"] = TorchSharp.torch.ScalarType.BFloat16,
        ["float16"] = TorchSharp.torch.ScalarType.Float16,
        ["float64"] = TorchSharp.torch.ScalarType.Float64,
    };

    /// <summary>The checkpoint's own dtype: <see cref="TorchDtype"/>'s, float32 when it names none (as Hugging Face reads it).</summary>
    public TorchSharp.torch.ScalarType WeightsDType => TorchDtype is null ? TorchSharp.torch.ScalarType.Float32 : TorchDtypes[TorchDtype];

    // "auto" (and no field) means the weights' own dtype, which safetensors files do not state once for all: float32.
    private static string? TorchDtypeOf(ConfigReader reader, string source)
    {
        var field = reader.Has("torch_dtype") ? "torch_dtype" : "dtype";
        var name = reader.OptionalString(field);
        if (name is null || name == "auto") return null;
        var bare = name.StartsWith("torch.", StringComparison.Ordinal) ? name["torch.".Length..] : name;
        return TorchDtypes.ContainsKey(bare) ? bare
            : throw new ModelConfigException(source, field, $"'{name}' is not a dtype this runtime loads ({string.Join(", ", TorchDtypes.Keys)})");
    }

    /// <summary>Reads and validates <paramref name="path"/> (a <c>config.json</c>).</summary>
    /// <exception cref="ModelConfigException">The file is missing, malformed, or names something unsupported.</exception>
    public static ModelConfig Load(string path)
    {
        if (!File.Exists(path))
            throw new ModelConfigException(path, null, "file not found");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses config JSON; <paramref name="source"/> names it in errors.</summary>
    public static ModelConfig Parse(string json, string source = "config.json")
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject
                ?? throw new ModelConfigException(source, null, "the top level is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new ModelConfigException(source, null, $"malformed JSON: {e.Message}");
        }

        var reader = new ConfigReader(root, source);
        var modelType = reader.RequiredString("model_type");
        if (!SupportedModelTypes.Contains(modelType))
            throw new ModelConfigException(source, "model_type",
                $"'{modelType}' is not supported; expected one of {string.Join(", ", SupportedModelTypes)}");

        int hidden = reader.RequiredPositiveInt("hidden_size");
        int heads = reader.RequiredPositiveInt("num_attention_heads");
        int kvHeads = reader.OptionalPositiveInt("num_key_value_heads") ?? heads;
        if (heads % kvHeads != 0)
            throw new ModelConfigException(source, "num_key_value_heads",
                $"{kvHeads} does not divide num_attention_heads = {heads}");
        int? headDim = reader.OptionalPositiveInt("head_dim");
        if (headDim is null && hidden % heads != 0)
            throw new ModelConfigException(source, "head_dim",
                $"absent, and hidden_size {hidden} is not divisible by num_attention_heads {heads}");
        int resolvedHeadDim = headDim ?? hidden / heads;
        if (resolvedHeadDim % 2 != 0)
            throw new ModelConfigException(source, "head_dim", $"{resolvedHeadDim} is odd; rotary embeddings need an even head width");

        bool attentionBias = reader.OptionalBool("attention_bias") ?? false;
        var bias = modelType switch
        {
            "qwen2" => new AttentionBias(true, true, true, false),
            _ => attentionBias ? new AttentionBias(true, true, true, true) : AttentionBias.None,
        };

        int? slidingWindow = reader.OptionalPositiveInt("sliding_window");
        if (modelType == "qwen2" && reader.OptionalBool("use_sliding_window") != true)
            slidingWindow = null;

        int vocab = reader.RequiredPositiveInt("vocab_size");
        double eps = reader.OptionalPositiveDouble("rms_norm_eps") ?? 1e-6;
        if (eps >= 1) throw new ModelConfigException(source, "rms_norm_eps", $"{eps.ToString(CultureInfo.InvariantCulture)} is not a small epsilon (expected below 1, typically 1e-5 or 1e-6)");
        double theta = reader.OptionalPositiveDouble("rope_theta") ?? 10000.0;
        if (theta <= 1) throw new ModelConfigException(source, "rope_theta", $"{theta.ToString(CultureInfo.InvariantCulture)} must exceed 1 (rotary frequencies are powers of 1 / rope_theta)");
        int? bos = reader.OptionalInt("bos_token_id");
        if (bos is < 0 || bos >= vocab) throw new ModelConfigException(source, "bos_token_id", $"{bos} is outside the vocabulary [0, {vocab})");
        var eosIds = reader.IntOrIntList("eos_token_id");
        foreach (var eos in eosIds)
            if (eos < 0 || eos >= vocab) throw new ModelConfigException(source, "eos_token_id", $"{eos} is outside the vocabulary [0, {vocab})");

        return new ModelConfig
        {
            ModelType = modelType,
            HiddenSize = hidden,
            IntermediateSize = reader.RequiredPositiveInt("intermediate_size"),
            NumHiddenLayers = reader.RequiredPositiveInt("num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = resolvedHeadDim,
            VocabSize = vocab,
            RmsNormEps = eps,
            RopeTheta = theta,
            RopeScaling = RopeScaling.Parse(root["rope_scaling"], source),
            TieWordEmbeddings = reader.OptionalBool("tie_word_embeddings") ?? false,
            AttentionBias = bias,
            MlpBias = reader.OptionalBool("mlp_bias") ?? false,
            MaxPositionEmbeddings = reader.OptionalPositiveInt("max_position_embeddings") ?? 2048,
            SlidingWindow = slidingWindow,
            BosTokenId = bos,
            EosTokenIds = eosIds,
            TorchDtype = TorchDtypeOf(reader, source),
        };
    }

    /// <summary>The HF <c>config.json</c> text for this configuration (round-trips through <see cref="Parse"/>).</summary>
    public string ToJson()
    {
        var o = new JsonObject
        {
            ["model_type"] = ModelType,
            ["architectures"] = new JsonArray(ModelType switch
            {
                "qwen2" => "Qwen2ForCausalLM",
                "mistral" => "MistralForCausalLM",
                _ => "LlamaForCausalLM",
            }),
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["head_dim"] = HeadDim,
            ["vocab_size"] = VocabSize,
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["rope_scaling"] = RopeScaling?.ToJson(),
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
        };
        if (ModelType == "llama")
        {
            if (AttentionBias != AttentionBias.None && AttentionBias != new AttentionBias(true, true, true, true))
                throw new InvalidOperationException($"model_type llama cannot express attention bias {AttentionBias}");
            o["attention_bias"] = AttentionBias.Query;
            o["mlp_bias"] = MlpBias;
        }
        if (SlidingWindow is int window)
        {
            o["sliding_window"] = window;
            if (ModelType == "qwen2") o["use_sliding_window"] = true;
        }
        if (BosTokenId is int bos) o["bos_token_id"] = bos;
        if (EosTokenIds.Count == 1) o["eos_token_id"] = EosTokenIds[0];
        else if (EosTokenIds.Count > 1) o["eos_token_id"] = new JsonArray(EosTokenIds.Select(id => (JsonNode?)id).ToArray());
        if (TorchDtype is not null) o["torch_dtype"] = TorchDtype;
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Parameters of the model built from this config (embeddings counted once when tied).</summary>
    /// <exception cref="OverflowException">The count does not fit a long (a config no machine could hold).</exception>
    public long ParameterCount()
    {
        checked
        {
            long d = HiddenSize, m = IntermediateSize, kv = (long)NumKeyValueHeads * HeadDim, q = (long)NumAttentionHeads * HeadDim;
            long attention = d * q + 2 * d * kv + q * d
                + (AttentionBias.Query ? q : 0) + (AttentionBias.Key ? kv : 0) + (AttentionBias.Value ? kv : 0) + (AttentionBias.Output ? d : 0);
            long mlp = 3 * d * m + (MlpBias ? 2 * m + d : 0);
            long layer = attention + mlp + 2 * d;
            long embeddings = (long)VocabSize * d * (TieWordEmbeddings ? 1 : 2);
            return NumHiddenLayers * layer + embeddings + d;
        }
    }

    /// <summary>Typed access to config fields with errors that name the file and the field.</summary>
    private sealed class ConfigReader(JsonObject root, string source)
    {
        private JsonNode? Node(string field) => root.TryGetPropertyValue(field, out var n) ? n : null;

        public bool Has(string field) => Node(field) is not null;

        private ModelConfigException Wrong(string field, JsonNode? node, string expected) =>
            new(source, field, $"expected {expected}, found {(node is null ? "null" : node.ToJsonString())}");

        public string RequiredString(string field) =>
            OptionalString(field) ?? throw new ModelConfigException(source, field, "required field is missing");

        public string? OptionalString(string field)
        {
            var node = Node(field);
            if (node is null) return null;
            return node is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Wrong(field, node, "a string");
        }

        public int RequiredPositiveInt(string field) =>
            OptionalPositiveInt(field) ?? throw new ModelConfigException(source, field, "required field is missing");

        public int? OptionalPositiveInt(string field)
        {
            var value = OptionalInt(field);
            if (value is <= 0) throw Wrong(field, Node(field), "a positive integer");
            return value;
        }

        public int? OptionalInt(string field)
        {
            var node = Node(field);
            if (node is null) return null;
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d)
                && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue)
                return (int)d;
            throw Wrong(field, node, "an integer");
        }

        public double? OptionalPositiveDouble(string field)
        {
            var node = Node(field);
            if (node is null) return null;
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && d > 0)
                return d;
            throw Wrong(field, node, "a positive number");
        }

        public bool? OptionalBool(string field)
        {
            var node = Node(field);
            if (node is null) return null;
            return node is JsonValue v && v.TryGetValue<bool>(out var b) ? b : throw Wrong(field, node, "true or false");
        }

        public IReadOnlyList<int> IntOrIntList(string field)
        {
            var node = Node(field);
            if (node is null) return [];
            if (node is JsonArray array)
            {
                var ids = new List<int>();
                foreach (var item in array)
                {
                    if (item is JsonValue v && v.TryGetValue<int>(out var id)) ids.Add(id);
                    else throw Wrong(field, node, "an integer or a list of integers");
                }
                return ids;
            }
            return [OptionalInt(field)!.Value];
        }
    }
}

/// <summary>A <c>config.json</c> problem, naming the file and the field.</summary>
public sealed class ModelConfigException(string file, string? field, string problem)
    : Exception(field is null ? $"{file}: {problem}" : $"{file}: field '{field}': {problem}")
{
    /// <summary>The config file (or source name).</summary>
    public string File { get; } = file;
    /// <summary>The offending field, when one is to blame.</summary>
    public string? Field { get; } = field;
}

/// <summary>
/// RoPE frequency scaling. Only Llama 3's scheme is supported; anything else is an error rather than being
/// silently dropped, since a dropped scaling gives plausible-looking but wrong outputs on long inputs.
/// </summary>
public sealed record RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings)
{
    internal static RopeScaling? Parse(JsonNode? node, string source)
    {
        if (node is null) return null;
        if (node is not JsonObject o)
            throw new ModelConfigException(source, "rope_scaling", $"expected an object or null, found {node.ToJsonString()}");
        var typeNode = o["rope_type"] ?? o["type"];
        string? type = typeNode is null ? null : typeNode is JsonValue tv && tv.TryGetValue<string>(out var t) ? t
            : throw new ModelConfigException(source, "rope_scaling.rope_type", $"expected a string, found {typeNode.ToJsonString()}");
        if (type is null)
            throw new ModelConfigException(source, "rope_scaling", $"has no 'rope_type' (found {node.ToJsonString()}); use null for plain RoPE");
        if (type == "default") return null;
        if (type != "llama3")
            throw new ModelConfigException(source, "rope_scaling",
                $"rope_type '{type}' is not supported; supported: llama3, default (or null)");

        double Number(string name)
        {
            if (o[name] is JsonValue v && v.TryGetValue<double>(out var d) && d > 0) return d;
            throw new ModelConfigException(source, $"rope_scaling.{name}",
                $"expected a positive number, found {o[name]?.ToJsonString() ?? "nothing"}");
        }

        var scaling = new RopeScaling(Number("factor"), Number("low_freq_factor"), Number("high_freq_factor"),
            (int)Number("original_max_position_embeddings"));
        if (scaling.HighFreqFactor <= scaling.LowFreqFactor)
            throw new ModelConfigException(source, "rope_scaling.high_freq_factor",
                $"{scaling.HighFreqFactor.ToString(CultureInfo.InvariantCulture)} must exceed low_freq_factor {scaling.LowFreqFactor.ToString(CultureInfo.InvariantCulture)}");
        return scaling;
    }

    internal JsonObject ToJson() => new()
    {
        ["rope_type"] = "llama3",
        ["factor"] = Factor,
        ["low_freq_factor"] = LowFreqFactor,
        ["high_freq_factor"] = HighFreqFactor,
        ["original_max_position_embeddings"] = OriginalMaxPositionEmbeddings,
    };
}
