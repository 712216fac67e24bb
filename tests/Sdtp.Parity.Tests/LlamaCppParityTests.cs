using LLama;
using LLama.Common;
using LLama.Native;
using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Parity.Tests;

/// <summary>
/// The runtime's logits against llama.cpp's (LLamaSharp 0.30.0, CPU backend) on the same random weights, for the three
/// architectures the runtime loads, at every position of a 512-token prompt: all at once, and through both sides' KV
/// caches one token at a time after a 256-token prefill. llama.cpp runs with flash attention off and an F32 KV cache,
/// so neither side rounds keys and values to fp16.
/// </summary>
public sealed class LlamaCppParityTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const int PromptLength = 512, Prefix = 256;
    private const float Tolerance = 1e-3f;
    private readonly string directory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "sdtp-parity-" + Guid.NewGuid().ToString("N"))).FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static ModelConfig Config(string modelType) => new()
    {
        ModelType = modelType,
        HiddenSize = 64,
        IntermediateSize = 160,
        NumHiddenLayers = 3,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        HeadDim = 16,
        VocabSize = 259,
        RmsNormEps = 1e-5,
        RopeTheta = modelType == "qwen2" ? 1_000_000 : 10_000,
        TieWordEmbeddings = modelType == "qwen2",
        AttentionBias = modelType == "qwen2" ? new AttentionBias(true, true, true, false) : AttentionBias.None,
        MaxPositionEmbeddings = 1024,
        BosTokenId = 1,
        EosTokenIds = [2],
    };

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    [InlineData("mistral")]
    public void Logits_match_llama_cpp_at_every_position_dense_and_through_the_cache(string modelType)
    {
        manual_seed(modelType.Length);
        using var model = new LlamaForCausalLM(Config(modelType), CPU);
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name.EndsWith("norm.weight", StringComparison.Ordinal) || name.EndsWith("bias", StringComparison.Ordinal))
                    p.add_(randn_like(p) * 0.1); // norms and biases away from their defaults, so they are compared too
        model.eval();
        var path = Path.Combine(directory, modelType + ".gguf");
        GgufExport.Write(model, path);
        using var g = new Generator(7, CPU);
        var ids = randint(3, 259, [PromptLength], generator: g).data<long>().ToArray();

        var (peerAll, peerCached) = LlamaCpp(path, ids);
        var (ours, oursCached) = Runtime(model, ids);
        AssertClose(ours, peerAll, "dense");
        AssertClose(oursCached, peerCached, "through the cache");
        // Where both sides have logits for a position, the dense and cached passes agree with each other too.
        AssertClose(ours[(Prefix - 1)..], oursCached, "runtime, dense vs cached");
    }

    private static (float[][] All, float[][] Cached) Runtime(LlamaForCausalLM model, long[] ids)
    {
        using var noGrad = no_grad();
        using var input = tensor(ids).unsqueeze(0);
        float[][] Rows(Tensor logits) => Enumerable.Range(0, (int)logits.shape[0]).Select(i => logits[i].data<float>().ToArray()).ToArray();
        using var all = model.Forward(input, allLogits: true)[0];
        var cached = new List<float[]>();
        using var cache = new KvCache(model.Layers.Count);
        using (var prefill = model.Forward(input.narrow(1, 0, Prefix), cache: cache)) cached.Add(prefill[0].data<float>().ToArray());
        for (int t = Prefix; t < ids.Length; t++)
        {
            using var step = model.Forward(input.narrow(1, t, 1), cache: cache);
            cached.Add(step[0].data<float>().ToArray());
        }
        return (Rows(all), cached.ToArray());
    }

    private static (float[][] All, float[][] Cached) LlamaCpp(string path, long[] ids)
    {
        var parameters = new ModelParams(path)
        {
            ContextSize = 1024, BatchSize = PromptLength, UBatchSize = PromptLength, GpuLayerCount = 0, Threads = 2, BatchThreads = 2,
            FlashAttention = false, TypeK = GGMLType.GGML_TYPE_F32, TypeV = GGMLType.GGML_TYPE_F32,
        };
        using var weights = LLamaWeights.LoadFromFile(parameters);
        using var context = weights.CreateContext(parameters);
        var batch = new LLamaBatch();
        for (int i = 0; i < ids.Length; i++) batch.Add((int)ids[i], i, LLamaSeqId.Zero, logits: true);
        Assert.Equal(DecodeResult.Ok, context.Decode(batch));
        var all = Enumerable.Range(0, ids.Length).Select(i => context.NativeHandle.GetLogitsIth(i).ToArray()).ToArray();

        context.NativeHandle.MemoryClear(true);
        var cached = new List<float[]>();
        batch.Clear();
        for (int i = 0; i < Prefix; i++) batch.Add((int)ids[i], i, LLamaSeqId.Zero, logits: i == Prefix - 1);
        Assert.Equal(DecodeResult.Ok, context.Decode(batch));
        cached.Add(context.NativeHandle.GetLogitsIth(Prefix - 1).ToArray());
        for (int t = Prefix; t < ids.Length; t++)
        {
            batch.Clear();
            batch.Add((int)ids[t], t, LLamaSeqId.Zero, logits: true);
            Assert.Equal(DecodeResult.Ok, context.Decode(batch));
            cached.Add(context.NativeHandle.GetLogitsIth(0).ToArray());
        }
        return (all, cached.ToArray());
    }

    private void AssertClose(float[][] actual, float[][] expected, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        int worstRow = 0;
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.Equal(expected[r].Length, actual[r].Length);
            for (int v = 0; v < expected[r].Length; v++)
            {
                double d = Math.Abs(expected[r][v] - actual[r][v]);
                if (d > worst) (worst, worstRow) = (d, r);
            }
        }
        output.WriteLine($"{what}: {expected.Length} positions, largest logit difference {worst:E2} (position {worstRow})");
        Assert.True(worst <= Tolerance, $"{what}: largest logit difference {worst:E2} at position {worstRow} (tolerance {Tolerance:E0})");
    }
}
