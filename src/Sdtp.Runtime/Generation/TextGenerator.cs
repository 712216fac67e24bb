using Sdtp.Modeling;
using Sdtp.Pruning;
using static TorchSharp.torch;

namespace Sdtp.Generation;

/// <summary>
/// Fills a fresh cache from a prompt and returns the logits of its last position [B, V]. The dense default runs
/// <see cref="LlamaForCausalLM.Forward"/>; pruned prefill plugs in here.
/// </summary>
public delegate Tensor Prefill(LlamaForCausalLM model, Tensor inputIds, KvCache cache);

/// <summary>
/// Streams generated tokens from a causal LM: prefill once, then one cached decode step per token. An optional
/// eviction policy compresses the cache after prefill and after every decode step.
/// </summary>
public sealed class TextGenerator(LlamaForCausalLM model, Prefill? prefill = null, IKvCacheEviction? eviction = null)
{
    private readonly Prefill prefill = prefill ?? ((m, ids, cache) => m.Forward(ids, cache: cache));

    /// <summary>
    /// Yields new token ids as they are produced (batch of one). Stops after <see cref="GenerationOptions.MaxNewTokens"/>
    /// or after emitting a stop token.
    /// </summary>
    public IEnumerable<int> Generate(IReadOnlyList<int> prompt, GenerationOptions? options = null)
    {
        options ??= new GenerationOptions();
        options.Validate();
        if (prompt.Count == 0) throw new ArgumentException("the prompt is empty; give at least one token (e.g. BOS)", nameof(prompt));
        // Checked here: libtorch would only say "index out of range in self".
        foreach (var id in prompt)
            if (id < 0 || id >= model.Config.VocabSize)
                throw new ArgumentException($"prompt token id {id} is outside the vocabulary [0, {model.Config.VocabSize})", nameof(prompt));
        int context = model.Config.MaxPositionEmbeddings;
        if (prompt.Count > context)
            throw new ArgumentException($"the prompt has {prompt.Count} tokens, more than the model's context of {context} (max_position_embeddings)", nameof(prompt));
        if ((long)prompt.Count + options.MaxNewTokens > context)
            throw new ArgumentException($"the prompt ({prompt.Count} tokens) and MaxNewTokens ({options.MaxNewTokens}) exceed the model's context of {context} " +
                $"(max_position_embeddings): at most {context - prompt.Count} new tokens fit", nameof(options));
        var stop = new HashSet<int>(options.StopTokenIds is { Count: > 0 } ids ? ids : model.Config.EosTokenIds);

        using var sampler = new TokenSampler(options);
        using var cache = new KvCache(model.Layers.Count, prompt.Count + options.MaxNewTokens);
        int lastToken = 0;
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            // Each step's tensors live and die inside Step, so nothing native outlives the yield.
            int token = step == 0 ? PrefillStep(prompt, cache, sampler) : DecodeStep(lastToken, cache, sampler);
            lastToken = token;
            yield return token;
            if (stop.Contains(token)) yield break;
        }
    }

    private int PrefillStep(IReadOnlyList<int> prompt, KvCache cache, TokenSampler sampler)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = tensor(prompt.Select(t => (long)t).ToArray(), device: model.Device).unsqueeze(0);
        var logits = prefill(model, ids, cache);
        eviction?.Apply(cache);
        return (int)sampler.Next(logits).item<long>();
    }

    private int DecodeStep(int previous, KvCache cache, TokenSampler sampler)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = tensor(new long[] { previous }, device: model.Device).unsqueeze(0);
        var logits = model.Forward(ids, cache: cache);
        eviction?.Apply(cache);
        return (int)sampler.Next(logits).item<long>();
    }
}
