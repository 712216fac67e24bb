using System.Diagnostics;
using System.Runtime.InteropServices;
using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

// Whether libtorch calls fail when the garbage collector runs during them. TorchSharp's `Tensor + Tensor` creates a
// temporary Scalar (alpha = 1) and passes only its handle to libtorch; nothing keeps the managed Scalar alive, so its
// finalizer may free the native Scalar while libtorch still reads it ("Expected false to be true" from
// c10::Scalar::toFloat). A second thread forces collections and finalizers the whole time.
//   temporary: `left + right` in a loop (TorchSharp's own operator);
//   held:      `left.add(right, one)` with a Scalar that stays reachable (what the runtime's TensorMath does);
//   forward:   the runtime's model forward (4 layers, fp32 and bf16, 64 tokens), no_grad, as inference runs it;
//   prefill:   SDTP's pruned prefill of the fp32 model into a KV cache (one stage, untrained heads), no_grad;
//   adamw:     an optimizer step over the fp32 model's parameters with TorchSharp's AdamW, as training takes it;
//   held-adamw: the same step with HeldScalarOptimizers.AdamW (what base and head training use).
//   dotnet run -c Release --project benchmarks/Sdtp.ScalarRace -- temporary|held|forward|prefill|adamw|held-adamw SECONDS
string[] modes = ["temporary", "held", "forward", "prefill", "adamw", "held-adamw"];
if (args.Length != 2 || !modes.Contains(args[0]) || !int.TryParse(args[1], out int seconds) || seconds <= 0)
{
    Console.Error.WriteLine($"usage: Sdtp.ScalarRace {string.Join('|', modes)} SECONDS");
    return 2;
}
string mode = args[0];
using var one = 1.ToScalar();
using var left = randn(4, 8);
using var right = randn(4, 8);
var config = new ModelConfig
{
    ModelType = "llama", HiddenSize = 64, IntermediateSize = 128, NumHiddenLayers = 4, NumAttentionHeads = 4, NumKeyValueHeads = 2,
    HeadDim = 16, VocabSize = 259, RmsNormEps = 1e-5, RopeTheta = 10000, MaxPositionEmbeddings = 256, BosTokenId = 1, EosTokenIds = [2],
};
using var model32 = new LlamaForCausalLM(config, CPU);
using var model16 = new LlamaForCausalLM(config, CPU, ScalarType.BFloat16);
using var ids = randint(3, 259, [1, 64]);
var schedule = PruningSchedule.Geometric(1, 1, 2, 0.7);
using var heads = new SaliencyHeads(schedule, config.HiddenSize, CPU);
heads.MarkTrained(ModelSignature.Of(model32));
var prefill = SdtpPrefill.For(schedule, new SaliencyHeadScorer(heads));

// The optimizer modes step with the gradients of one loss, the same each step: the race does not depend on their values.
using OptimizerHelper? optimizer = mode switch
{
    "adamw" => optim.AdamW(model32.parameters(), lr: 1e-4, weight_decay: 0.01),
    "held-adamw" => new HeldScalarOptimizers.AdamW(model32.parameters(), 1e-4, 0.01),
    _ => null,
};
if (optimizer is not null)
{
    using var scope = NewDisposeScope();
    model32.Forward(ids).logsumexp(-1).sum().backward();
}

bool stop = false;
var collector = new Thread(() =>
{
    while (!Volatile.Read(ref stop))
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }
});
collector.Start();

long calls = 0, failures = 0;
var clock = Stopwatch.StartNew();
while (clock.Elapsed.TotalSeconds < seconds)
{
    try
    {
        using var scope = NewDisposeScope();
        switch (mode)
        {
            case "temporary": _ = left + right; break;
            case "held": _ = left.add(right, one); break;
            case "adamw" or "held-adamw": optimizer!.step(); break;
            case "prefill":
                using (no_grad())
                using (var cache = new KvCache(model32.Layers.Count, ids.shape[1]))
                {
                    _ = prefill(model32, ids, cache);
                }
                break;
            default:
                using (no_grad())
                {
                    _ = (calls % 2 == 0 ? model32 : model16).Forward(ids);
                }
                break;
        }
    }
    catch (ExternalException)
    {
        failures++;
    }
    calls++;
}
Volatile.Write(ref stop, true);
collector.Join();
Console.WriteLine($"{mode}: {calls} calls in {seconds} s, {failures} failed");
return 0;
