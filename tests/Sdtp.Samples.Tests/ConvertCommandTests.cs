using Sdtp.Checkpoints;
using static TorchSharp.torch;

namespace Sdtp.Samples.Tests;

/// <summary><c>sdtp convert</c>: a copy at another dtype holds the source's weights rounded once, and the source stays as it was.</summary>
[Collection(nameof(ConsoleRedirect))]
public class ConvertCommandTests
{
    [Fact]
    public void A_bf16_copy_holds_the_weights_rounded_to_bf16_at_half_the_size_with_the_side_files_and_runs()
    {
        using var folder = new TempFolder();
        var source = Path.Combine(folder.Path, "fp32");
        var copy = Path.Combine(folder.Path, "bf16");
        Directory.CreateDirectory(source);
        TinyCheckpoint.Write(source);
        var heads = Path.Combine(source, "sdtp_heads.safetensors");
        File.WriteAllBytes(heads, [1, 2, 3, 4]); // copied byte for byte, not read
        Directory.CreateDirectory(Path.Combine(source, "training"));
        File.WriteAllText(Path.Combine(source, "training", "state.json"), "{}");
        var sourceBytes = Directory.GetFiles(source).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

        CliRunner.Succeeds("convert", "--model", source, "--dtype", "bf16", "--out", copy);

        Assert.Equal(sourceBytes, Directory.GetFiles(source).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes)); // source untouched
        Assert.Contains("\"torch_dtype\": \"bfloat16\"", File.ReadAllText(Path.Combine(copy, "config.json")));
        Assert.Equal([1, 2, 3, 4], File.ReadAllBytes(Path.Combine(copy, "sdtp_heads.safetensors")));
        Assert.True(File.Exists(Path.Combine(copy, Sdtp.Tokenization.TokenizerLoader.ByteTokenizerFile)));
        Assert.False(Directory.Exists(Path.Combine(copy, "training")));
        var fp32Size = new FileInfo(Path.Combine(source, HuggingFaceCheckpoint.WeightsFile)).Length;
        var bf16Size = new FileInfo(Path.Combine(copy, HuggingFaceCheckpoint.WeightsFile)).Length;
        Assert.InRange(bf16Size, fp32Size * 0.45, fp32Size * 0.55);

        using (var original = HuggingFaceCheckpoint.Load(source, CPU))
        using (var converted = HuggingFaceCheckpoint.Load(copy, CPU))
        {
            Assert.Equal(ScalarType.BFloat16, converted.DType);
            var expected = original.state_dict();
            foreach (var (name, tensor) in converted.state_dict())
            {
                using var rounded = expected[name].to(ScalarType.BFloat16);
                Assert.True(tensor.equal(rounded).all().item<bool>(), $"{name} is not the source's weight rounded to bf16");
            }
        }
        File.Delete(Path.Combine(copy, "sdtp_heads.safetensors")); // the placeholder is not a heads file
        CliRunner.Succeeds("generate", "--model", copy, "--prompt", "hello", "--max-tokens", "3", "--dense");
    }

    [Fact]
    public void A_copy_onto_its_source_or_onto_another_checkpoint_is_refused_and_leaves_it_as_it_was()
    {
        using var folder = new TempFolder();
        var source = Path.Combine(folder.Path, "model");
        var other = Path.Combine(folder.Path, "other");
        Directory.CreateDirectory(source);
        Directory.CreateDirectory(other);
        TinyCheckpoint.Write(source);
        TinyCheckpoint.Write(other);
        var otherWeights = File.ReadAllBytes(Path.Combine(other, HuggingFaceCheckpoint.WeightsFile));
        var sourceWeights = File.ReadAllBytes(Path.Combine(source, HuggingFaceCheckpoint.WeightsFile));

        var (code, error) = CliRunner.Run("convert", "--model", source, "--dtype", "bf16", "--out", source);
        Assert.Equal(1, code);
        Assert.Equal($"error: {source}: the copy must go to another directory than its source (the source is kept as it is)", error.Trim());
        var trailing = source + Path.DirectorySeparatorChar; // the same directory, spelt with a separator at the end
        (code, error) = CliRunner.Run("convert", "--model", source, "--dtype", "bf16", "--out", trailing);
        Assert.Equal(1, code);
        Assert.Equal($"error: {trailing}: the copy must go to another directory than its source (the source is kept as it is)", error.Trim());
        (code, error) = CliRunner.Run("convert", "--model", source, "--dtype", "bf16", "--out", other);
        Assert.Equal(1, code);
        Assert.Equal($"error: {other}: already holds a checkpoint; give a new directory", error.Trim());

        Assert.Equal(sourceWeights, File.ReadAllBytes(Path.Combine(source, HuggingFaceCheckpoint.WeightsFile)));
        Assert.Equal(otherWeights, File.ReadAllBytes(Path.Combine(other, HuggingFaceCheckpoint.WeightsFile)));
    }

    [Fact]
    public void A_missing_source_or_an_unknown_dtype_is_named()
    {
        using var folder = new TempFolder();
        var missing = Path.Combine(folder.Path, "none");
        var (code, error) = CliRunner.Run("convert", "--model", missing, "--dtype", "bf16", "--out", Path.Combine(folder.Path, "copy"));
        Assert.Equal(1, code);
        Assert.Equal($"error: --model: {missing}: model directory not found", error.Trim());
        (code, error) = CliRunner.Run("convert", "--model", folder.Path, "--dtype", "int8", "--out", Path.Combine(folder.Path, "copy"));
        Assert.Equal(1, code);
        Assert.Equal("error: --dtype must be f32, bf16 or f16 (got int8)", error.Trim());
    }
}
