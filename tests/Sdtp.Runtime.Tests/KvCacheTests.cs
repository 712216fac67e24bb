using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

public class KvCacheTests
{
    private static readonly long[] Sequence = [1, 7, 3, 9, 12, 4, 33, 21, 8, 5];

    [Theory]
    [InlineData("llama", 2)]
    [InlineData("qwen2", 4)]
    [InlineData("mistral", 1)]
    public void Cached_decoding_gives_the_same_logits_as_the_full_sequence(string modelType, int kvHeads)
    {
        using var model = TinyModels.Random(TinyModels.Config(modelType, kvHeads: kvHeads));
        using var noGrad = no_grad();
        using var full = model.Forward(TinyModels.Ids(Sequence), allLogits: true); // [1, 10, V]

        using var cache = new KvCache(model.Layers.Count, initialCapacity: 3); // small: forces the buffers to grow
        using var prefill = model.Forward(TinyModels.Ids(Sequence[..5]), cache: cache, allLogits: true);
        Assert.True(prefill.allclose(full.narrow(1, 0, 5), rtol: 1e-4, atol: 1e-5));
        // Two tokens at once (queries fewer than keys: the explicit causal mask), then one at a time.
        using var chunk = model.Forward(TinyModels.Ids(Sequence[5..7]), cache: cache, allLogits: true);
        Assert.True(chunk.allclose(full.narrow(1, 5, 2), rtol: 1e-4, atol: 1e-5));
        for (int t = 7; t < Sequence.Length; t++)
        {
            using var step = model.Forward(TinyModels.Ids(Sequence[t]), cache: cache);
            Assert.True(step.allclose(full[0, t].unsqueeze(0), rtol: 1e-4, atol: 1e-5), $"decode step {t}");
        }
        Assert.All(cache.Layers, l => Assert.Equal(Sequence.Length, l.Length));
    }

    [Fact]
    public void Left_padded_batch_prefill_and_decode_match_each_row_run_alone()
    {
        using var model = TinyModels.Random(TinyModels.Config());
        using var noGrad = no_grad();
        long[] shortRow = [1, 5, 9, 14, 3];
        long[] longRow = [1, 8, 2, 30, 6, 11, 40, 7];
        const long pad = 0;
        using var ids = tensor(new long[] { pad, pad, pad }.Concat(shortRow).Concat(longRow).ToArray()).view(2, 8);
        using var mask = tensor(new long[] { 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }).view(2, 8);

        using var batchCache = new KvCache(model.Layers.Count);
        var batchLogits = model.Forward(ids, mask, batchCache);
        var rows = new[] { shortRow, longRow };
        var aloneCaches = rows.Select(_ => new KvCache(model.Layers.Count)).ToArray();
        var aloneLogits = rows.Select((r, i) => model.Forward(TinyModels.Ids(r), cache: aloneCaches[i])).ToArray();
        for (int step = 0; step < 4; step++)
        {
            for (int row = 0; row < 2; row++)
                Assert.True(batchLogits[row].allclose(aloneLogits[row][0], rtol: 1e-4, atol: 1e-5), $"row {row}, step {step}");
            // Greedy continuation: the batch and each row alone feed the same next token.
            var next = batchLogits.argmax(-1);
            batchLogits = model.Forward(next.unsqueeze(1), cache: batchCache);
            for (int row = 0; row < 2; row++)
                aloneLogits[row] = model.Forward(next[row].view(1, 1), cache: aloneCaches[row]);
        }
        foreach (var c in aloneCaches) c.Dispose();
    }

    [Fact]
    public void Kept_rows_behave_as_if_they_were_the_only_rows_ever_written()
    {
        manual_seed(5);
        using var keys = randn(2, 2, 6, 4);
        using var values = randn(2, 2, 6, 4);
        using var extraKeys = randn(2, 2, 1, 4);
        using var extraValues = randn(2, 2, 1, 4);
        long[][] keep = [[0, 2, 5], [1, 3, 4]]; // different rows per batch entry
        using var indices = tensor(keep.SelectMany(r => r).ToArray()).view(2, 3);

        using var pruned = new LayerKvCache(initialCapacity: 4);
        pruned.Append(keys, values, null);
        pruned.KeepRows(indices);
        var (prunedKeys, prunedValues, _) = pruned.Append(extraKeys, extraValues, null);

        using var reference = new LayerKvCache();
        var gatherIndex = indices.unsqueeze(1).unsqueeze(-1).expand(2, 2, 3, 4);
        reference.Append(keys.gather(2, gatherIndex), values.gather(2, gatherIndex), null);
        var (referenceKeys, referenceValues, _) = reference.Append(extraKeys, extraValues, null);

        Assert.Equal(4, pruned.Length);
        Assert.True(prunedKeys.equal(referenceKeys).all().item<bool>());
        Assert.True(prunedValues.equal(referenceValues).all().item<bool>());
    }

    [Fact]
    public void Model_decodes_over_caches_of_different_lengths_per_layer()
    {
        using var model = TinyModels.Random(TinyModels.Config(layers: 3));
        using var noGrad = no_grad();
        using var prompt = TinyModels.Ids(Sequence[..8]);
        using var cache = new KvCache(model.Layers.Count);
        model.Forward(prompt, cache: cache);

        // Layer 0 keeps all 8 tokens, layer 1 keeps 5, layer 2 keeps 3: as after two pruning stages.
        using var layer1Keep = tensor(new long[] { 0, 1, 3, 6, 7 }).unsqueeze(0);
        using var layer2Keep = tensor(new long[] { 0, 6, 7 }).unsqueeze(0);
        var reference = new KvCache(model.Layers.Count);
        CopyRows(cache.Layers[0], reference.Layers[0], null);
        CopyRows(cache.Layers[1], reference.Layers[1], layer1Keep);
        CopyRows(cache.Layers[2], reference.Layers[2], layer2Keep);
        reference.AdvancePositions(tensor(new long[] { 7 }));
        cache.Layers[1].KeepRows(layer1Keep);
        cache.Layers[2].KeepRows(layer2Keep);

        Assert.Equal([8L, 5L, 3L], cache.Layers.Select(l => l.Length));
        for (long token = 10; token < 13; token++)
        {
            using var a = model.Forward(TinyModels.Ids(token), cache: cache);
            using var b = model.Forward(TinyModels.Ids(token), cache: reference);
            Assert.True(a.allclose(b, rtol: 1e-5, atol: 1e-6));
        }
        Assert.Equal([11L, 8L, 6L], cache.Layers.Select(l => l.Length));
        reference.Dispose();
    }

    [Fact]
    public void Decode_after_pruning_continues_the_original_positions()
    {
        using var model = TinyModels.Random(TinyModels.Config());
        using var cache = new KvCache(model.Layers.Count);
        using var noGrad = no_grad();
        model.Forward(TinyModels.Ids(Sequence[..8]), cache: cache);
        foreach (var layer in cache.Layers) layer.KeepRows(tensor(new long[] { 0, 7 }).unsqueeze(0));
        Assert.Equal(8L, cache.NextPositions!.item<long>());
    }

    [Fact]
    public void Keeping_more_rows_than_held_is_an_error()
    {
        using var cache = new LayerKvCache();
        cache.Append(zeros(1, 1, 2, 4), zeros(1, 1, 2, 4), null);
        var e = Assert.Throws<ArgumentException>(() => cache.KeepRows(tensor(new long[] { 0, 1, 1 }).unsqueeze(0)));
        Assert.Contains("cannot keep 3 rows of a cache holding 2", e.Message);
    }

    private static void CopyRows(LayerKvCache from, LayerKvCache to, Tensor? rows)
    {
        var k = from.Keys;
        var v = from.Values;
        if (rows is not null)
        {
            var index = rows.unsqueeze(1).unsqueeze(-1).expand(k.shape[0], k.shape[1], rows.shape[1], k.shape[3]);
            k = k.gather(2, index);
            v = v.gather(2, index);
        }
        to.Append(k.clone(), v.clone(), null);
    }
}
