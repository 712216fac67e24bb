using Sdtp.Modeling;
using Sdtp.Pruning;
using static TorchSharp.torch;

namespace Sdtp.Training;

/// <summary>
/// Stage 1 of SDTP, token marking: one forward and one backward pass of the frozen, unpruned model give, for the
/// input x of every stage layer, <c>saliency_i = sum_d (dT/dx_i * x_i)</c> (gradient x input).
/// <para>
/// T is the log-likelihood of the target tokens: <c>sum_t target_t * log p(ids_t | ids_&lt;t)</c>. For a task sample
/// the targets are the answer tokens; for plain text, the continuation. The backbone's parameters are frozen for
/// the pass, so no backbone gradient is ever computed or kept; gradients flow only to the hidden states.
/// </para>
/// </summary>
public static class SaliencyMarker
{
    /// <summary>
    /// Raw saliency of every stage: one [B, T] tensor per stage of <paramref name="schedule"/> (float32, padding 0).
    /// </summary>
    /// <param name="inputIds">[B, T] prompt and targets together (teacher forcing).</param>
    /// <param name="targetMask">[B, T], 1 where the token is a target whose log-probability counts.</param>
    /// <param name="attentionMask">[B, T], 1 for real tokens, 0 for left padding; null when none.</param>
    public static Tensor[] Mark(LlamaForCausalLM model, PruningSchedule schedule, Tensor inputIds, Tensor targetMask, Tensor? attentionMask = null)
    {
        schedule.Validate(model.Layers.Count);
        return Mark(model, () =>
        {
            var state = MarkingState.Begin(model, inputIds, attentionMask);
            for (int layer = 0; layer < model.Layers.Count; layer++)
            {
                if (schedule.StageAt(layer) >= 0) state.RecordStageInput();
                state.RunLayer(layer);
            }
            return state.Finish();
        }, inputIds, targetMask, attentionMask);
    }

    /// <summary>
    /// Raw saliency from any marking forward (the reference loop above, or an <c>[SdtpModel]</c> class's generated one):
    /// one [B, T] tensor per recorded stage input.
    /// </summary>
    public static Tensor[] Mark(LlamaForCausalLM model, Func<MarkingPass> forward, Tensor inputIds, Tensor targetMask, Tensor? attentionMask = null)
    {
        using var frozen = new FrozenParameters(model.parameters());
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var pass = forward();
        var objective = TargetLogLikelihood(pass.Logits, inputIds, targetMask);
        var gradients = autograd.grad([objective], pass.StageInputs.ToList());
        var valid = attentionMask?.to_type(ScalarType.Bool);
        var saliency = new Tensor[pass.StageInputs.Count];
        for (int s = 0; s < saliency.Length; s++)
        {
            var raw = (gradients[s] * pass.StageInputs[s]).sum(-1).detach().to_type(ScalarType.Float32);
            if (valid is not null) raw = raw.FilledWhere(valid.logical_not(), 0.0);
            saliency[s] = raw.MoveToOuterDisposeScope();
        }
        return saliency;
    }

    /// <summary>Marks one sample: its normalised saliency at every stage, packed with the sample so the two never separate.</summary>
    public static MarkedSample MarkSample(LlamaForCausalLM model, PruningSchedule schedule, long[] ids, bool[] targets) =>
        MarkSample(model, idTensor => Mark(model, schedule, idTensor.Ids, idTensor.Targets), ids, targets);

    /// <summary>Marks one sample with an <c>[SdtpModel]</c> class's generated marking forward.</summary>
    public static MarkedSample MarkSample(ISdtpModel model, long[] ids, bool[] targets) =>
        MarkSample(model.Model, t => Mark(model.Model, () => model.SdtpMarkingForward(t.Ids), t.Ids, t.Targets), ids, targets);

    private static MarkedSample MarkSample(LlamaForCausalLM model, Func<(Tensor Ids, Tensor Targets), Tensor[]> mark, long[] ids, bool[] targets)
    {
        using var scope = NewDisposeScope();
        var idTensor = tensor(ids, device: model.Device).unsqueeze(0);
        var targetTensor = tensor(targets, device: model.Device).unsqueeze(0);
        var raw = mark((idTensor, targetTensor));
        var saliency = raw.Select(r => Normalize(r).cpu()[0].data<float>().ToArray()).ToArray();
        return new MarkedSample(ids, targets, saliency);
    }

    /// <summary>T: the summed log-probability of each target token given everything before it.</summary>
    public static Tensor TargetLogLikelihood(Tensor logits, Tensor inputIds, Tensor targetMask)
    {
        using var scope = NewDisposeScope();
        long t = inputIds.shape[1];
        // At least fp32: a bf16 log-softmax over a large vocabulary loses the small differences that matter here.
        var dtype = logits.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        var predicted = logits.narrow(1, 0, t - 1).to_type(dtype).log_softmax(-1);
        var next = inputIds.narrow(1, 1, t - 1).unsqueeze(-1);
        var tokenLogProbs = predicted.gather(-1, next).squeeze(-1);
        var weights = targetMask.narrow(1, 1, t - 1).to_type(dtype);
        return (tokenLogProbs * weights).sum().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The normalisation the heads train against: |saliency| divided by the row's maximum over real tokens, so each
    /// row lies in [0, 1] with its most salient token at 1 (a row of zeros stays zero).
    /// </summary>
    public static Tensor Normalize(Tensor saliency, Tensor? valid = null)
    {
        using var scope = NewDisposeScope();
        var magnitude = saliency.abs();
        if (valid is not null) magnitude = magnitude.FilledWhere(valid.logical_not(), 0.0);
        var max = magnitude.amax([1], keepdim: true).AtLeast(1e-12);
        return (magnitude / max).MoveToOuterDisposeScope();
    }

    /// <summary>Sets requires_grad off for the given parameters and restores each one's flag on dispose.</summary>
    private sealed class FrozenParameters : IDisposable
    {
        private readonly List<(TorchSharp.Modules.Parameter Parameter, bool RequiresGrad)> saved;

        public FrozenParameters(IEnumerable<TorchSharp.Modules.Parameter> parameters)
        {
            saved = parameters.Select(p => (p, p.requires_grad)).ToList();
            foreach (var (p, _) in saved) p.requires_grad = false;
        }

        public void Dispose()
        {
            foreach (var (p, flag) in saved) p.requires_grad = flag;
        }
    }
}
