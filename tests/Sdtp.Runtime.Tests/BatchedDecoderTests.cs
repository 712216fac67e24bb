using Sdtp.Generation;
using Sdtp.Modeling;
using Sdtp.Pruning;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

public class BatchedDecoderTests
{
    private static int[] Prompt(int length, int seed) => Enumerable.Range(0, length).Select(i => (i * 31 + seed * 7) % 47 + 3).ToArray();

    // What the request produces alone: its prefill's token, then one cached decode step per token.
    private static List<int> Alone(LlamaForCausalLM model, Prefill prefill, int[] prompt, GenerationOptions options) =>
        new TextGenerator(model, prefill).Generate(prompt, options).ToList();

    [Fact]
    public void Requests_of_different_lengths_decode_in_one_batch_as_they_would_alone_joining_and_leaving_between_steps()
    {
        using var model = TinyModels.Random(TinyModels.Config(layers: 4));
        var schedule = PruningSchedule.Geometric(1, 1, 3, 0.7);
        using var heads = new SaliencyHeads(schedule, model.Config.HiddenSize, CPU);
        heads.MarkTrained(ModelSignature.Of(model));
        var prefill = SdtpPrefill.For(schedule, new SaliencyHeadScorer(heads)); // each row pruned by its own length
        var requests = new[] { (Prompt(60, 1), 9), (Prompt(23, 2), 4), (Prompt(41, 3), 7) };
        var options = requests.Select(r => new GenerationOptions { MaxNewTokens = r.Item2, StopTokenIds = [-1] }).ToArray();
        var expected = requests.Select((r, i) => Alone(model, prefill, r.Item1, options[i])).ToArray();

        using var decoder = new BatchedDecoder(model);
        var produced = requests.Select(_ => new List<int>()).ToArray();
        void Join(int i)
        {
            using var cache = new KvCache(model.Layers.Count);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var logits = prefill(model, tensor(requests[i].Item1.Select(t => (long)t).ToArray()).unsqueeze(0), cache);
            produced[i].Add(decoder.Join(i, cache, logits, options[i]).Token);
        }
        Join(0);
        Join(1);
        int steps = 0;
        while (decoder.Count > 0)
        {
            foreach (var (id, token, _) in decoder.Step()) produced[id].Add(token);
            if (++steps == 2) Join(2); // a request arriving while others decode
        }
        for (int i = 0; i < requests.Length; i++) Assert.Equal(expected[i], produced[i]);
    }

    [Fact]
    public void A_stacked_cache_gives_every_row_the_logits_of_its_own_cache()
    {
        using var model = TinyModels.Random(TinyModels.Config(layers: 3));
        var schedule = PruningSchedule.Geometric(1, 1, 2, 0.6);
        using var noGrad = no_grad();
        var caches = new[] { Prompt(50, 1), Prompt(17, 2) }.Select(p =>
        {
            var cache = new KvCache(model.Layers.Count);
            PrunedPrefill.Run(model, schedule, new FixedRandomScorer(3), tensor(p.Select(t => (long)t).ToArray()).unsqueeze(0), cache: cache).LastLogits.Dispose();
            return cache;
        }).ToArray();
        using var stacked = KvCache.Stack(caches);
        Assert.Equal(caches.Max(c => c.Layers[2].Length), stacked.Layers[2].Length); // shorter rows are left-padded
        using var next = tensor(new long[] { 5, 9 }).unsqueeze(1);
        using var together = model.Forward(next, cache: stacked);
        for (int row = 0; row < 2; row++)
        {
            using var alone = model.Forward(next.narrow(0, row, 1), cache: caches[row]);
            Assert.True(together.narrow(0, row, 1).allclose(alone, rtol: 0, atol: 1e-5), $"row {row}: {(together.narrow(0, row, 1) - alone).abs().max().item<float>()}");
        }
        using var second = stacked.SelectBatchRows([1]);
        using var again = model.Forward(tensor(new long[] { 11 }).unsqueeze(1), cache: second);
        using var reference = model.Forward(tensor(new long[] { 11 }).unsqueeze(1), cache: caches[1]);
        Assert.True(again.allclose(reference, rtol: 0, atol: 1e-5));
        foreach (var cache in caches) cache.Dispose();
    }

    [Fact]
    public void A_cancelled_request_leaves_and_the_others_go_on()
    {
        using var model = TinyModels.Random(TinyModels.Config(layers: 2));
        using var decoder = new BatchedDecoder(model);
        var options = new GenerationOptions { MaxNewTokens = 6, StopTokenIds = [-1] };
        foreach (var (id, prompt) in new[] { (0, Prompt(12, 1)), (1, Prompt(30, 2)) })
        {
            using var cache = new KvCache(model.Layers.Count);
            using var noGrad = no_grad();
            using var logits = model.Forward(tensor(prompt.Select(t => (long)t).ToArray()).unsqueeze(0), cache: cache);
            decoder.Join(id, cache, logits, options);
        }
        decoder.Step();
        decoder.Leave(0);
        Assert.Equal(1, decoder.Count);
        var alone = new TextGenerator(model).Generate(Prompt(30, 2), options).ToList();
        var rest = new List<int>();
        while (decoder.Count > 0) rest.AddRange(decoder.Step().Select(p => p.Token));
        Assert.Equal(alone.Skip(2), rest);
    }
}
