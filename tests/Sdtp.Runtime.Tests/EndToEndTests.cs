using Sdtp.Checkpoints;
using Sdtp.Generation;
using Sdtp.Modeling;
using Sdtp.Tokenization;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

/// <summary>What a user does: write a checkpoint directory, load it back with its tokenizer, generate text.</summary>
public class EndToEndTests
{
    [Fact]
    public void A_saved_byte_level_model_loads_and_generates_the_same_text()
    {
        using var dir = new TempDirectory();
        var config = TinyModels.Config() with { VocabSize = ByteTokenizer.VocabSize, BosTokenId = 1, EosTokenIds = [2] };
        using var original = TinyModels.Random(config);
        HuggingFaceCheckpoint.Save(original, dir.Path);
        TokenizerLoader.WriteByteTokenizerMarker(dir.Path);

        using var model = HuggingFaceCheckpoint.Load(dir.Path, CPU);
        var tokenizer = TokenizerLoader.Load(dir.Path);
        var prompt = tokenizer.Encode("The passkey is", addBos: true);
        var options = new GenerationOptions { MaxNewTokens = 12, Temperature = 0.8, TopP = 0.9, Seed = 11 };

        var fromDisk = new TextGenerator(model).Generate(prompt, options).ToList();
        var inMemory = new TextGenerator(original).Generate(prompt, options).ToList();
        Assert.Equal(inMemory, fromDisk);
        Assert.InRange(fromDisk.Count, 1, 12);
        Assert.Equal(tokenizer.Decode(inMemory), tokenizer.Decode(fromDisk));
    }
}
