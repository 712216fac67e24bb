using BenchmarkDotNet.Attributes;
using Sdtp;
using Sdtp.Modeling;
using Sdtp.Pruning;
using static TorchSharp.torch;

namespace Sdtp.Benchmarks;

/// <summary>The demo model's shape, with the demo's schedule, pruned by the generated and the reference forward.</summary>
[SdtpModel(NumLayers = 8)]
[GeometricSchedule(FirstLayer = 1, Every = 1, Stages = 7, Ratio = 0.86)]
public sealed partial class BenchLlama : LlamaForCausalLM
{
    public BenchLlama(ModelConfig config) : base(config, CPU) { }
}

/// <summary>The hot pieces of a pruned prefill: head scoring, selection, compaction, and the whole forward.</summary>
[MemoryDiagnoser]
public class PruningBenchmarks
{
    private static readonly ModelConfig Config = new()
    {
        ModelType = "llama", HiddenSize = 128, IntermediateSize = 352, NumHiddenLayers = 8, NumAttentionHeads = 4,
        NumKeyValueHeads = 4, HeadDim = 32, VocabSize = 259,
    };

    private BenchLlama model = null!;
    private Tensor hidden = null!, scores = null!, forced = null!, positions = null!, ids = null!, kept = null!;

    [Params(1024, 4096)]
    public int Tokens { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(1);
        model = new BenchLlama(Config);
        model.SdtpHeads.MarkTrained(ModelSignature.Of(model)); // random heads: only their cost is measured
        hidden = randn(1, Tokens, Config.HiddenSize);
        scores = randn(1, Tokens);
        positions = arange(Tokens).unsqueeze(0);
        forced = TokenSelection.ForcedMask(positions, null, [Tokens], new AlwaysKeepTokens());
        kept = TokenSelection.Select(scores, forced, null, Tokens * 86 / 100);
        ids = randint(3, 259, [1, Tokens]);
    }

    [Benchmark]
    public void HeadScore()
    {
        using var scope = NewDisposeScope();
        _ = model.SdtpHeads.ForStage(0).Score(hidden);
    }

    [Benchmark]
    public void Selection()
    {
        using var scope = NewDisposeScope();
        _ = TokenSelection.Select(scores, forced, null, Tokens * 86 / 100);
    }

    [Benchmark]
    public void Compaction()
    {
        using var scope = NewDisposeScope();
        _ = TokenSelection.Gather(hidden, kept);
        _ = TokenSelection.Gather(positions, kept);
    }

    [Benchmark]
    public void GeneratedPrefill()
    {
        var result = model.SdtpPrefill(ids);
        result.LastLogits.Dispose();
    }

    [Benchmark]
    public void ReferencePrefill()
    {
        var result = PrunedPrefill.Run(model, BenchLlama.SdtpPlan.Schedule, new SaliencyHeadScorer(model.SdtpHeads), ids);
        result.LastLogits.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void DensePrefill()
    {
        using var noGrad = no_grad();
        model.Forward(ids).Dispose();
    }

    [GlobalCleanup]
    public void Cleanup() => model.Dispose();
}
