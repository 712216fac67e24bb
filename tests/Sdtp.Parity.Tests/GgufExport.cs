using System.Text;
using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Parity.Tests;

/// <summary>
/// Writes a model of this runtime as a GGUF (version 3) file that llama.cpp loads: every tensor as F32, llama.cpp's
/// tensor names and hyper-parameter keys, and a byte-level SentencePiece-style vocabulary that matches the runtime's
/// byte tokenizer (pad, BOS, EOS, then the 256 bytes). A test helper: llama.cpp is the peer the runtime is checked
/// against, so the export does only what that needs.
/// <para>
/// The <c>llama</c> architecture (LLaMA, Mistral) rotates adjacent pairs of q/k dimensions where Hugging Face rotates
/// the two halves of each head, so q and k rows are permuted within every head; <c>qwen2</c> rotates halves like
/// Hugging Face (llama.cpp's NEOX mode) and is written unpermuted, with its q/k/v biases.
/// </para>
/// </summary>
internal static class GgufExport
{
    private const uint Alignment = 32;

    private enum ValueType : uint { UInt32 = 4, Int32 = 5, Float32 = 6, String = 8, Array = 9 }

    public static void Write(LlamaForCausalLM model, string path)
    {
        var c = model.Config;
        string arch = c.ModelType == "qwen2" ? "qwen2" : "llama";
        if (c.VocabSize != 259) throw new ArgumentException($"the export's vocabulary is the byte tokenizer's 259 tokens, the model has {c.VocabSize}");
        var metadata = new List<(string Key, ValueType Type, object Value)>
        {
            ("general.architecture", ValueType.String, arch),
            ("general.name", ValueType.String, "sdtp-parity-" + c.ModelType),
            ("general.file_type", ValueType.UInt32, 0u), // all F32
            ($"{arch}.context_length", ValueType.UInt32, (uint)c.MaxPositionEmbeddings),
            ($"{arch}.embedding_length", ValueType.UInt32, (uint)c.HiddenSize),
            ($"{arch}.block_count", ValueType.UInt32, (uint)c.NumHiddenLayers),
            ($"{arch}.feed_forward_length", ValueType.UInt32, (uint)c.IntermediateSize),
            ($"{arch}.attention.head_count", ValueType.UInt32, (uint)c.NumAttentionHeads),
            ($"{arch}.attention.head_count_kv", ValueType.UInt32, (uint)c.NumKeyValueHeads),
            ($"{arch}.attention.key_length", ValueType.UInt32, (uint)c.HeadDim),
            ($"{arch}.attention.value_length", ValueType.UInt32, (uint)c.HeadDim),
            ($"{arch}.attention.layer_norm_rms_epsilon", ValueType.Float32, (float)c.RmsNormEps),
            ($"{arch}.rope.freq_base", ValueType.Float32, (float)c.RopeTheta),
            ($"{arch}.rope.dimension_count", ValueType.UInt32, (uint)c.HeadDim),
            ($"{arch}.vocab_size", ValueType.UInt32, (uint)c.VocabSize),
            ("tokenizer.ggml.model", ValueType.String, "llama"),
            ("tokenizer.ggml.tokens", ValueType.Array, (ValueType.String, ByteVocabulary().Cast<object>().ToArray())),
            ("tokenizer.ggml.scores", ValueType.Array, (ValueType.Float32, Enumerable.Repeat((object)0f, 259).ToArray())),
            ("tokenizer.ggml.token_type", ValueType.Array, (ValueType.Int32, Enumerable.Range(0, 259).Select(i => (object)(i < 3 ? 3 : 6)).ToArray())), // control, byte
            ("tokenizer.ggml.padding_token_id", ValueType.UInt32, 0u),
            ("tokenizer.ggml.bos_token_id", ValueType.UInt32, 1u),
            ("tokenizer.ggml.eos_token_id", ValueType.UInt32, 2u),
        };
        var tensors = Tensors(model, permuteRotary: arch == "llama");

        using var stream = File.Create(path);
        using var writer = new BinaryWriter(stream, Encoding.UTF8);
        writer.Write(Encoding.ASCII.GetBytes("GGUF"));
        writer.Write(3u);
        writer.Write((ulong)tensors.Count);
        writer.Write((ulong)metadata.Count);
        foreach (var (key, type, value) in metadata)
        {
            WriteString(writer, key);
            writer.Write((uint)type);
            WriteValue(writer, type, value);
        }
        ulong offset = 0;
        foreach (var (name, data, shape) in tensors)
        {
            WriteString(writer, name);
            writer.Write((uint)shape.Length);
            foreach (var dim in shape.Reverse()) writer.Write((ulong)dim); // ggml lists the fastest-varying dimension first
            writer.Write(0u); // GGML_TYPE_F32
            writer.Write(offset);
            offset = Align(offset + (ulong)data.Length * 4);
        }
        Pad(writer);
        long dataStart = stream.Position;
        foreach (var (_, data, _) in tensors)
        {
            foreach (var v in data) writer.Write(v);
            Pad(writer, dataStart);
        }
    }

    private static List<(string Name, float[] Data, long[] Shape)> Tensors(LlamaForCausalLM model, bool permuteRotary)
    {
        var c = model.Config;
        var state = model.state_dict();
        var list = new List<(string, float[], long[])>();
        void Add(string name, string hfName, int permuteHeads = 0)
        {
            using var scope = NewDisposeScope();
            var t = state[hfName].detach().to_type(ScalarType.Float32).cpu();
            if (permuteHeads > 0) t = PermuteRotary(t, permuteHeads);
            list.Add((name, t.contiguous().data<float>().ToArray(), t.shape));
        }
        Add("token_embd.weight", "model.embed_tokens.weight");
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            string hf = $"model.layers.{i}.", gg = $"blk.{i}.";
            Add(gg + "attn_norm.weight", hf + "input_layernorm.weight");
            Add(gg + "attn_q.weight", hf + "self_attn.q_proj.weight", permuteRotary ? c.NumAttentionHeads : 0);
            Add(gg + "attn_k.weight", hf + "self_attn.k_proj.weight", permuteRotary ? c.NumKeyValueHeads : 0);
            Add(gg + "attn_v.weight", hf + "self_attn.v_proj.weight");
            Add(gg + "attn_output.weight", hf + "self_attn.o_proj.weight");
            if (c.AttentionBias.Query) Add(gg + "attn_q.bias", hf + "self_attn.q_proj.bias", permuteRotary ? c.NumAttentionHeads : 0);
            if (c.AttentionBias.Key) Add(gg + "attn_k.bias", hf + "self_attn.k_proj.bias", permuteRotary ? c.NumKeyValueHeads : 0);
            if (c.AttentionBias.Value) Add(gg + "attn_v.bias", hf + "self_attn.v_proj.bias");
            Add(gg + "ffn_norm.weight", hf + "post_attention_layernorm.weight");
            Add(gg + "ffn_gate.weight", hf + "mlp.gate_proj.weight");
            Add(gg + "ffn_up.weight", hf + "mlp.up_proj.weight");
            Add(gg + "ffn_down.weight", hf + "mlp.down_proj.weight");
        }
        Add("output_norm.weight", "model.norm.weight");
        if (!c.TieWordEmbeddings) Add("output.weight", "lm_head.weight"); // a tied model's output is token_embd
        return list;
    }

    /// <summary>
    /// Rows [heads x headDim, ...] from Hugging Face's order within a head (first half, second half) to llama.cpp's
    /// interleaved pairs: row (h, j, k) of the [heads, 2, headDim/2] view moves to (h, k, j).
    /// </summary>
    private static Tensor PermuteRotary(Tensor rows, int heads)
    {
        long total = rows.shape[0], half = total / heads / 2;
        var rest = rows.shape.Skip(1).ToArray();
        return rows.reshape([heads, 2, half, .. rest]).transpose(1, 2).reshape(rows.shape);
    }

    private static string[] ByteVocabulary() =>
        ["<pad>", "<s>", "</s>", .. Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>")];

    private static void WriteValue(BinaryWriter writer, ValueType type, object value)
    {
        switch (type)
        {
            case ValueType.UInt32: writer.Write((uint)value); break;
            case ValueType.Int32: writer.Write((int)value); break;
            case ValueType.Float32: writer.Write((float)value); break;
            case ValueType.String: WriteString(writer, (string)value); break;
            case ValueType.Array:
                var (elementType, items) = ((ValueType, object[]))value;
                writer.Write((uint)elementType);
                writer.Write((ulong)items.Length);
                foreach (var item in items) WriteValue(writer, elementType, item);
                break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    private static void WriteString(BinaryWriter writer, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        writer.Write((ulong)bytes.Length);
        writer.Write(bytes);
    }

    private static ulong Align(ulong offset) => (offset + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter writer, long from = 0)
    {
        long position = writer.BaseStream.Position - from;
        long padded = (long)Align((ulong)position);
        for (long i = position; i < padded; i++) writer.Write((byte)0);
    }
}
