using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sdtp.Modeling;

/// <summary>
/// A LLaMA-family causal language model (LLaMA, Qwen2, Mistral) whose parameter names match Hugging Face's, so
/// safetensors checkpoints load without renaming. It is the base type of models annotated for SDTP.
/// <para>
/// Two ways to run it: <see cref="Forward"/> runs every layer densely; the step API (<see cref="Embed"/>,
/// <see cref="Rotary"/>, <see cref="Layers"/>, <see cref="Logits"/>) lets a caller run layers one at a time and
/// change the sequence between them, which is what pruned inference does.
/// </para>
/// </summary>
public class LlamaForCausalLM : nn.Module
{
    private readonly LlamaModel model;
    private readonly Linear lm_head;
    private readonly List<IDisposable> owned = [];

    /// <summary>A model shaped by <paramref name="config"/>, randomly initialised unless <paramref name="init"/> says otherwise.</summary>
    /// <param name="device">Where the parameters live; <see cref="Devices.Default"/> when null.</param>
    /// <param name="dtype">Parameter and compute dtype (fp32, bf16 or fp16; fp64 for numerical checks).</param>
    /// <param name="init"><see cref="ParameterInit.Uninitialized"/> when a checkpoint's weights are copied in next.</param>
    public LlamaForCausalLM(ModelConfig config, Device? device = null, ScalarType dtype = ScalarType.Float32, ParameterInit init = ParameterInit.Random)
        : base(nameof(LlamaForCausalLM))
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Float64))
            throw new ArgumentException($"dtype {dtype} is not supported; use Float32, BFloat16 or Float16 (Float64 for numerical checks)", nameof(dtype));
        Config = config;
        device ??= Devices.Default;
        ModelMemory.EnsureFits(config, device, dtype);
        model = new LlamaModel(config, device, dtype, init);
        lm_head = config.TieWordEmbeddings
            ? nn.Linear(model.EmbedTokens.weight!, null)
            : InitializedLayers.Linear(config.HiddenSize, config.VocabSize, false, device, dtype, init);
        Rotary = new RotaryEmbedding(config);
        RegisterComponents();
    }

    /// <summary>The architecture.</summary>
    public ModelConfig Config { get; }

    /// <summary>Rotary frequencies for this config.</summary>
    public RotaryEmbedding Rotary { get; }

    /// <summary>The decoder body (HF <c>model.</c>).</summary>
    public LlamaModel Body => model;

    /// <summary>The decoder layers in order.</summary>
    public IReadOnlyList<LlamaDecoderLayer> Layers => model.Layers;

    /// <summary>The dtype parameters and activations use.</summary>
    public ScalarType DType => model.Norm.Weight.dtype;

    /// <summary>Where the parameters live.</summary>
    public Device Device => model.Norm.Weight.device;

    /// <summary>
    /// Ties <paramref name="resource"/>'s lifetime to the model: it is disposed with it. Generated code uses this for
    /// the saliency heads, which are kept out of the model's state so HF checkpoints load unchanged.
    /// </summary>
    protected T Own<T>(T resource) where T : IDisposable
    {
        owned.Add(resource);
        return resource;
    }

    /// <summary>Disposes <paramref name="resource"/> now, before the model, when generated code replaces it.</summary>
    protected void Release(IDisposable resource)
    {
        owned.Remove(resource);
        resource.Dispose();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var resource in owned) resource.Dispose();
            owned.Clear();
        }
        base.Dispose(disposing);
    }

    /// <summary>
    /// Every parameter once. <c>parameters()</c> lists a tied LM head twice (two handles on one storage), which
    /// would make an optimizer step it twice.
    /// </summary>
    public IEnumerable<Parameter> DistinctParameters() =>
        named_parameters().Where(p => !(Config.TieWordEmbeddings && p.name == "lm_head.weight")).Select(p => p.parameter);

    /// <summary>Embeds token ids [B, T] into hidden states [B, T, d].</summary>
    public Tensor Embed(Tensor inputIds) => model.EmbedTokens.forward(inputIds);

    /// <summary>cos/sin tables for position ids [B, T] in the model's dtype.</summary>
    public RotaryTable RotaryFor(Tensor positionIds) => Rotary.Table(positionIds, DType);

    /// <summary>Final norm then LM head on hidden states [B, T, d] → logits [B, T, V].</summary>
    public Tensor Logits(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        return lm_head.forward(model.Norm.forward(hidden)).MoveToOuterDisposeScope();
    }

    /// <summary>Logits of the last position only, [B, V]: all that next-token prediction needs.</summary>
    public Tensor LastLogits(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var last = hidden.narrow(1, hidden.shape[1] - 1, 1);
        return Logits(last).squeeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Dense forward over every layer.
    /// </summary>
    /// <param name="inputIds">[B, T] int64 token ids of the NEW tokens.</param>
    /// <param name="attentionMask">[B, T], 1 for real tokens, 0 for (left) padding of the new tokens; null when none.
    /// Padding already in the cache is remembered by the cache.</param>
    /// <param name="cache">Caches to append to; null runs without one.</param>
    /// <param name="positionIds">[B, T] explicit positions; when null they continue the cache's positions, or are
    /// derived from <paramref name="attentionMask"/> (padding excluded).</param>
    /// <param name="allLogits">True: logits of every position [B, T, V]; false: the last position only [B, V].</param>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, KvCache? cache = null,
        Tensor? positionIds = null, bool allLogits = false)
    {
        using var scope = NewDisposeScope();
        var valid = attentionMask?.to_type(ScalarType.Bool);
        positionIds ??= PositionIds.Continue(cache?.NextPositions, valid, inputIds.shape[0], inputIds.shape[1], inputIds.device);
        var hidden = Embed(inputIds);
        var rope = RotaryFor(positionIds);
        for (int i = 0; i < Layers.Count; i++)
        {
            using var layerScope = NewDisposeScope();
            hidden = Layers[i].Forward(hidden, rope, valid, cache?.Layers[i]).MoveToOuterDisposeScope();
        }
        cache?.AdvancePositions(positionIds.select(1, -1));
        var logits = allLogits ? Logits(hidden) : LastLogits(hidden);
        return logits.MoveToOuterDisposeScope();
    }
}
