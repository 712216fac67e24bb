using System.Text;
using Sdtp.Checkpoints;
using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

public class CheckpointTests
{
    [Theory]
    [InlineData("llama", false, ScalarType.Float32)]
    [InlineData("qwen2", true, ScalarType.BFloat16)]
    [InlineData("mistral", false, ScalarType.Float16)]
    public void Save_then_load_is_bit_exact(string modelType, bool tied, ScalarType dtype)
    {
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Config(modelType, tied), dtype: dtype);
        HuggingFaceCheckpoint.Save(model, dir.Path);
        using var loaded = HuggingFaceCheckpoint.Load(dir.Path, CPU, dtype);

        Assert.Equal((model.Config with { TorchDtype = loaded.Config.TorchDtype }).ToJson(), loaded.Config.ToJson());
        var expected = model.state_dict();
        var actual = loaded.state_dict();
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, tensor) in expected)
            Assert.True(tensor.equal(actual[name]).all().item<bool>(), $"{name} differs after the round trip");
        using var noGrad = no_grad();
        using var ids = TinyModels.Ids(1, 4, 9, 16);
        Assert.True(model.Forward(ids).equal(loaded.Forward(ids)).all().item<bool>());
        if (tied)
        {
            using var file = SafeTensorsFile.Open(dir.File(HuggingFaceCheckpoint.WeightsFile));
            Assert.DoesNotContain("lm_head.weight", file.Entries.Keys);
        }
    }

    [Fact]
    public void Floating_weights_convert_to_the_requested_dtype()
    {
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Config());
        HuggingFaceCheckpoint.Save(model, dir.Path);
        using var bf16 = HuggingFaceCheckpoint.Load(dir.Path, CPU, ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, bf16.DType);
        using var noGrad = no_grad();
        using var ids = TinyModels.Ids(1, 4, 9, 16);
        var reference = model.Forward(ids);
        var lowPrecision = bf16.Forward(ids).to_type(ScalarType.Float32);
        Assert.True(lowPrecision.allclose(reference, rtol: 0.1, atol: 0.1));
    }

    [Fact]
    public void A_checkpoint_loads_at_its_own_dtype_unless_another_is_asked_for()
    {
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Config(), dtype: ScalarType.BFloat16);
        HuggingFaceCheckpoint.Save(model, dir.Path);
        using (var own = HuggingFaceCheckpoint.Load(dir.Path, CPU))
            Assert.Equal(ScalarType.BFloat16, own.DType);
        using (var asked = HuggingFaceCheckpoint.Load(dir.Path, CPU, ScalarType.Float32))
            Assert.Equal(ScalarType.Float32, asked.DType);

        var config = dir.File("config.json");
        var json = File.ReadAllText(config);
        foreach (var (field, expected) in new[] { ("\"dtype\": \"float16\"", ScalarType.Float16), ("\"torch_dtype\": \"auto\"", ScalarType.Float32), ("\"torch_dtype\": \"torch.bfloat16\"", ScalarType.BFloat16) })
        {
            File.WriteAllText(config, json.Replace("\"torch_dtype\": \"bfloat16\"", field));
            using var loaded = HuggingFaceCheckpoint.Load(dir.Path, CPU);
            Assert.Equal(expected, loaded.DType);
        }
        File.WriteAllText(config, json.Replace("\"torch_dtype\": \"bfloat16\"", "\"torch_dtype\": \"int8\""));
        var e = Assert.Throws<ModelConfigException>(() => HuggingFaceCheckpoint.Load(dir.Path, CPU));
        Assert.Contains("torch_dtype", e.Message);
        Assert.Contains("'int8' is not a dtype this runtime loads (float32, bfloat16, float16, float64)", e.Message);
    }

    [Fact]
    public void The_finite_check_counts_bad_values_in_every_slice_of_a_large_tensor()
    {
        using var big = zeros(5_000_000, dtype: ScalarType.BFloat16);
        big[10] = tensor(float.PositiveInfinity, ScalarType.BFloat16);
        big[4_500_000] = tensor(float.NaN, ScalarType.BFloat16); // past the first slice of 2^22 values
        var e = Assert.Throws<CheckpointException>(() => StateLoader.CheckFinite(big, "w", "f.safetensors"));
        Assert.Contains("tensor 'w' holds 2 non-finite values (NaN or infinity) of 5000000", e.Message);
        StateLoader.CheckFinite(zeros(5_000_000), "w", "f.safetensors");
    }

    [Fact]
    public void Sharded_checkpoint_loads_through_its_index()
    {
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Config());
        var state = model.state_dict();
        var names = state.Keys.Order(StringComparer.Ordinal).ToList();
        var first = names.Take(names.Count / 2).ToList();
        var second = names.Skip(names.Count / 2).ToList();
        SafeTensorsFile.Write(dir.File("model-00001-of-00002.safetensors"), first.Select(n => KeyValuePair.Create(n, state[n])));
        SafeTensorsFile.Write(dir.File("model-00002-of-00002.safetensors"), second.Select(n => KeyValuePair.Create(n, state[n])));
        var map = string.Join(",\n", first.Select(n => $"\"{n}\": \"model-00001-of-00002.safetensors\"")
            .Concat(second.Select(n => $"\"{n}\": \"model-00002-of-00002.safetensors\"")));
        File.WriteAllText(dir.File(HuggingFaceCheckpoint.IndexFile), $"{{\"metadata\": {{}}, \"weight_map\": {{{map}}}}}");
        File.WriteAllText(dir.File("config.json"), model.Config.ToJson());

        using var loaded = HuggingFaceCheckpoint.Load(dir.Path, CPU);
        foreach (var (name, tensor) in state)
            Assert.True(tensor.equal(loaded.state_dict()[name]).all().item<bool>(), name);
    }

    [Fact]
    public void Wrong_shape_missing_and_unexpected_tensors_are_reported_together_by_name()
    {
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Config());
        var state = new Dictionary<string, Tensor>(model.state_dict());
        state.Remove("model.layers.1.mlp.up_proj.weight");
        state["model.layers.0.self_attn.k_proj.weight"] = zeros(3, 32);
        state["model.layers.7.extra.weight"] = zeros(2);
        SafeTensorsFile.Write(dir.File("model.safetensors"), state);
        File.WriteAllText(dir.File("config.json"), model.Config.ToJson());

        var e = Assert.Throws<CheckpointException>(() => HuggingFaceCheckpoint.Load(dir.Path, CPU));
        Assert.Contains("missing (1): model.layers.1.mlp.up_proj.weight", e.Message);
        Assert.Contains("unexpected (1): model.layers.7.extra.weight", e.Message);
        Assert.Contains("model.layers.0.self_attn.k_proj.weight: shape [3, 32] in model.safetensors, model expects [16, 32]", e.Message);
    }

    [Fact]
    public void Truncated_file_names_the_tensor_and_byte_offset()
    {
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Config());
        HuggingFaceCheckpoint.Save(model, dir.Path);
        var path = dir.File("model.safetensors");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^100]);

        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(path));
        Assert.Contains("tensor 'model.norm.weight'", e.Message); // the last tensor in name order
        Assert.Contains($"data ends at byte offset {bytes.Length}", e.Message);
        Assert.Contains($"only {bytes.Length - 100} bytes", e.Message);
    }

    [Fact]
    public void File_shorter_than_its_header_length_is_reported()
    {
        using var dir = new TempDirectory();
        var path = dir.File("short.safetensors");
        File.WriteAllBytes(path, [0x40, 0, 0, 0, 0, 0, 0, 0, (byte)'{']);
        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(path));
        Assert.Contains("header length 64 (bytes 0-7) runs past the end of the file (9 bytes)", e.Message);
    }

    [Fact]
    public void Unsupported_dtype_names_the_tensor_and_dtype()
    {
        using var dir = new TempDirectory();
        var path = dir.File("fp8.safetensors");
        WriteRaw(path, """{"w":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}""", new byte[2]);
        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(path));
        Assert.Contains("tensor 'w': dtype 'F8_E4M3' is not supported", e.Message);
    }

    [Theory]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", "tensor 'w': data_offsets [0, 4] hold 4 bytes but F32[2] needs 8")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]}}""", "tensor 'w': shape [2,-1] has a non-integer or negative dimension")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2]}}""", "tensor 'w': 'data_offsets' must be [begin, end]")]
    [InlineData("""{"w": [1, 2""", "malformed JSON header (bytes 8-")]
    public void Malformed_header_is_reported_with_the_problem(string header, string expected)
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.safetensors");
        WriteRaw(path, header, new byte[8]);
        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(path));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Integer_tensor_where_a_weight_is_expected_is_a_dtype_mismatch()
    {
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Config());
        var state = new Dictionary<string, Tensor>(model.state_dict()) { ["model.norm.weight"] = zeros([32], ScalarType.Int32) };
        SafeTensorsFile.Write(dir.File("model.safetensors"), state);
        File.WriteAllText(dir.File("config.json"), model.Config.ToJson());
        var e = Assert.Throws<CheckpointException>(() => HuggingFaceCheckpoint.Load(dir.Path, CPU));
        Assert.Contains("model.norm.weight: dtype I32 in model.safetensors, model expects a floating dtype", e.Message);
    }

    [Fact]
    public void A_failed_write_leaves_the_previous_file_intact()
    {
        using var dir = new TempDirectory();
        var path = dir.File("weights.safetensors");
        SafeTensorsFile.Write(path, [KeyValuePair.Create("a", ones(3))]);
        var before = File.ReadAllBytes(path);
        Assert.Throws<InvalidOperationException>(() =>
            AtomicFile.Write(path, s => { s.Write(new byte[100]); throw new InvalidOperationException("crash mid-write"); }));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(dir.Path)); // no temp file left behind
    }

    [Fact]
    public void Missing_directory_and_missing_weights_are_clear()
    {
        using var dir = new TempDirectory();
        var e1 = Assert.Throws<ModelConfigException>(() => HuggingFaceCheckpoint.Load(dir.File("nope"), CPU));
        Assert.Contains("config.json: file not found", e1.Message);
        File.WriteAllText(dir.File("config.json"), TinyModels.Config().ToJson());
        var e2 = Assert.Throws<CheckpointException>(() => HuggingFaceCheckpoint.Load(dir.Path, CPU));
        Assert.Contains("neither model.safetensors nor model.safetensors.index.json found", e2.Message);
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12,
        "tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}""", 20,
        "tensor 'b': data_offsets [12, 20] leave a hole: the previous tensor ('a') ends at 8")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12,
        "tensor 'a': data_offsets [4, 12] leave a hole: the previous tensor ends at 0")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 16,
        "the tensors hold 8 bytes of data but the file has 16 after its header")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", 16,
        "the header names a tensor twice: 'a'")]
    public void Overlapping_holed_or_duplicated_tensors_are_refused(string header, int dataBytes, string expected)
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.safetensors");
        WriteRaw(path, header, new byte[dataBytes]);
        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("model.embed_tokens.weight", float.NaN)]
    [InlineData("model.layers.1.input_layernorm.weight", float.PositiveInfinity)]
    [InlineData("lm_head.weight", float.NegativeInfinity)]
    public void Non_finite_weights_are_refused_naming_the_tensor_unless_the_check_is_off(string name, float bad)
    {
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Config());
        var state = new Dictionary<string, Tensor>(model.state_dict());
        var poisoned = state[name].clone();
        using (no_grad()) poisoned.view(-1)[3] = bad;
        state[name] = poisoned;
        SafeTensorsFile.Write(dir.File("model.safetensors"), state);
        File.WriteAllText(dir.File("config.json"), model.Config.ToJson());

        var e = Assert.Throws<CheckpointException>(() => HuggingFaceCheckpoint.Load(dir.Path, CPU));
        Assert.Contains($"tensor '{name}' holds 1 non-finite value (NaN or infinity)", e.Message);
        Assert.Contains("model.safetensors", e.Message);
        using var unchecked_ = HuggingFaceCheckpoint.Load(dir.Path, CPU, checkFinite: false);
        Assert.False(unchecked_.state_dict()[name].isfinite().all().item<bool>());
    }

    private static void WriteRaw(string path, string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        using var s = File.Create(path);
        s.Write(BitConverter.GetBytes((ulong)h.Length));
        s.Write(h);
        s.Write(data);
    }
}
