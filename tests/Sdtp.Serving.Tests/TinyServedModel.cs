using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Serving.Templates;
using Sdtp.Tokenization;
using static TorchSharp.torch;

namespace Sdtp.Serving.Tests;

/// <summary>A tiny random byte-level model with random heads standing in for trained ones: the tests check plumbing, not answers.</summary>
internal sealed class TinyServedModel : IDisposable
{
    public static readonly PruningSchedule Schedule = PruningSchedule.Geometric(1, 1, 3, 0.6);

    public TinyServedModel(int context = 1024)
    {
        manual_seed(11);
        Model = new LlamaForCausalLM(new ModelConfig
        {
            ModelType = "llama", HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 4, NumAttentionHeads = 4, NumKeyValueHeads = 2,
            HeadDim = 8, VocabSize = ByteTokenizer.VocabSize, MaxPositionEmbeddings = context, EosTokenIds = [2], BosTokenId = 1,
        }, CPU);
        Model.eval();
        Heads = new SaliencyHeads(Schedule, 32, CPU);
        Heads.MarkTrained(ModelSignature.Of(Model));
        Served = ServedModel.Reference(Model, Schedule, Heads, new ByteTokenizer(), new PlainChatTemplate(), "tiny");
    }

    public LlamaForCausalLM Model { get; }
    public SaliencyHeads Heads { get; }
    public ServedModel Served { get; }

    public void Dispose()
    {
        Heads.Dispose();
        Model.Dispose();
    }
}
