using Sdtp.Generation;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

public class GenerationTests
{
    private static readonly int[] Prompt = [1, 17, 4, 29, 8];

    [Fact]
    public void Greedy_generation_equals_argmax_over_full_recomputation()
    {
        using var model = TinyModels.Random(TinyModels.Config());
        var generated = new TextGenerator(model).Generate(Prompt, new GenerationOptions { MaxNewTokens = 8, StopTokenIds = [-1] }).ToList();

        var sequence = Prompt.Select(t => (long)t).ToList();
        using var noGrad = no_grad();
        for (int i = 0; i < 8; i++)
        {
            using var logits = model.Forward(tensor(sequence.ToArray()).unsqueeze(0)); // no cache: recompute all
            sequence.Add(logits.argmax(-1).item<long>());
        }
        Assert.Equal(sequence.Skip(Prompt.Length).Select(t => (int)t), generated);
    }

    [Fact]
    public void Generation_stops_after_emitting_a_stop_token()
    {
        using var model = TinyModels.Random(TinyModels.Config());
        var generator = new TextGenerator(model);
        var first = generator.Generate(Prompt, new GenerationOptions { MaxNewTokens = 1 }).Single();
        var stopped = generator.Generate(Prompt, new GenerationOptions { MaxNewTokens = 10, StopTokenIds = [first] }).ToList();
        Assert.Equal([first], stopped);
    }

    [Fact]
    public void Sampling_is_reproducible_for_a_seed()
    {
        using var model = TinyModels.Random(TinyModels.Config());
        var generator = new TextGenerator(model);
        List<int> Run(long seed) => generator.Generate(Prompt,
            new GenerationOptions { MaxNewTokens = 12, Temperature = 1.5, TopP = 0.95, Seed = seed, StopTokenIds = [-1] }).ToList();
        Assert.Equal(Run(7), Run(7));
        Assert.NotEqual(Run(7), Run(8)); // 12 tokens from a near-flat distribution over 50: a collision is ~impossible
    }

    [Fact]
    public void Top_p_samples_only_from_the_nucleus()
    {
        using var logits = tensor(new float[] { 0.5f, 0.3f, 0.15f, 0.05f }).log().unsqueeze(0);
        using var sampler = new TokenSampler(new GenerationOptions { Temperature = 1, TopP = 0.7, Seed = 3 });
        var seen = new HashSet<long>();
        for (int i = 0; i < 200; i++)
        {
            using var token = sampler.Next(logits);
            seen.Add(token.item<long>());
        }
        Assert.Equal([0L, 1L], seen.Order());
    }

    [Fact]
    public void Invalid_options_are_rejected_with_the_value()
    {
        var e = Assert.Throws<ArgumentException>(() => new TokenSampler(new GenerationOptions { TopP = 0 }));
        Assert.Equal("TopP must be in (0, 1] (got 0)", e.Message);
        var hot = Assert.Throws<ArgumentException>(() => new TokenSampler(new GenerationOptions { Temperature = double.PositiveInfinity }));
        Assert.Equal("Temperature must be a finite number, 0 or more (got Infinity)", hot.Message);
        using var model = TinyModels.Random(TinyModels.Config());
        Assert.Throws<ArgumentException>(() => new TextGenerator(model).Generate([]).ToList());
        var outside = Assert.Throws<ArgumentException>(() => new TextGenerator(model).Generate([1, 50]).ToList());
        Assert.Contains("prompt token id 50 is outside the vocabulary [0, 50)", outside.Message);
    }

    [Fact]
    public void Prompts_and_generation_beyond_the_context_are_refused()
    {
        using var model = TinyModels.Random(TinyModels.Config() with { MaxPositionEmbeddings = 8 });
        var tooLong = Assert.Throws<ArgumentException>(() => new TextGenerator(model).Generate(Enumerable.Repeat(5, 9).ToList()).ToList());
        Assert.Contains("the prompt has 9 tokens, more than the model's context of 8", tooLong.Message);
        var overflow = Assert.Throws<ArgumentException>(() =>
            new TextGenerator(model).Generate([1, 5, 6], new GenerationOptions { MaxNewTokens = int.MaxValue }).ToList());
        Assert.Contains("at most 5 new tokens fit", overflow.Message);
        Assert.Equal(5, new TextGenerator(model).Generate([1, 5, 6], new GenerationOptions { MaxNewTokens = 5, StopTokenIds = [-1] }).Count());
    }

    [Fact]
    public void A_vanishing_temperature_samples_the_most_likely_token()
    {
        using var logits = tensor(new float[,] { { 0.5f, 3.0f, -2.0f, 2.999f } });
        foreach (var temperature in new[] { 1e-300, double.Epsilon, 1e-30 })
        {
            using var sampler = new TokenSampler(new GenerationOptions { Temperature = temperature, Seed = 1 });
            for (int i = 0; i < 5; i++)
                Assert.Equal(1L, sampler.Next(logits).item<long>());
        }
    }
}
