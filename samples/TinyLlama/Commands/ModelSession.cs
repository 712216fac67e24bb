using Sdtp.Checkpoints;
using Sdtp.Generation;
using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Tokenization;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary>
/// A loaded checkpoint with its tokenizer, schedule and heads. The schedule is, in order: <c>--schedule</c>, the one
/// the heads file records, or the annotated <see cref="TinyLlama"/>'s for a checkpoint of its layer count; a checkpoint
/// with none of them is refused rather than given a schedule nobody chose. When the schedule is the annotated class's,
/// the checkpoint is loaded into <see cref="TinyLlama"/> and its generated forward runs; otherwise the runtime's
/// reference path prunes with it.
/// </summary>
internal sealed class ModelSession : IDisposable
{
    /// <summary>The shipped default checkpoint, copied next to the executable.</summary>
    public static string DefaultModelDirectory => Path.Combine(AppContext.BaseDirectory, "model");

    private SaliencyHeads referenceHeads; // the reference path's heads; the annotated model owns its own

    private ModelSession(LlamaForCausalLM model, ITextTokenizer tokenizer, PruningSchedule schedule, SaliencyHeads heads, string directory)
    {
        Model = model;
        Generated = model as ISdtpModel;
        Tokenizer = tokenizer;
        Schedule = schedule;
        referenceHeads = heads;
        Directory = directory;
    }

    public LlamaForCausalLM Model { get; }
    public ITextTokenizer Tokenizer { get; }
    public PruningSchedule Schedule { get; }
    public SaliencyHeads Heads => Generated?.SdtpHeads ?? referenceHeads;

    /// <summary>The model as an annotated class when its generated forward serves the schedule, else null (the reference path).</summary>
    public ISdtpModel? Generated { get; }
    public string Directory { get; }
    public string HeadsPath => Path.Combine(Directory, SaliencyHeads.FileName);
    public bool UsesGeneratedForward => Generated is not null;

    /// <summary>
    /// Loads the checkpoint in <paramref name="directory"/> (the embedded default when null) and, with
    /// <paramref name="loadHeads"/>, its trained heads: <paramref name="headsPath"/>, or the directory's
    /// <see cref="SaliencyHeads.FileName"/> when null. <paramref name="schedule"/> is <c>--schedule</c>'s text;
    /// without <paramref name="needsSchedule"/> (dense generation) a checkpoint without a schedule runs dense.
    /// <paramref name="dtype"/> is <c>--dtype</c>'s; the checkpoint's own (<c>torch_dtype</c>) when null.
    /// </summary>
    public static ModelSession Open(string? directory, bool loadHeads, string? headsPath = null, string? schedule = null, bool needsSchedule = true,
        TorchSharp.torch.ScalarType? dtype = null)
    {
        directory ??= DefaultModelDirectory;
        if (!System.IO.Directory.Exists(directory))
            throw new DirectoryNotFoundException($"{directory}: model directory not found (pass --model DIR, or run 'sdtp train-base --out {directory}')");
        var configPath = Path.Combine(directory, HuggingFaceCheckpoint.ConfigFile);
        var config = ModelConfig.Load(configPath);
        var chosenDType = dtype ?? config.WeightsDType;
        ModelMemory.EnsureFits(config, Devices.Default, chosenDType, configPath);
        var given = schedule is null ? null : ParseScheduleOption(schedule, config.NumHiddenLayers);
        if (loadHeads)
        {
            headsPath ??= Path.Combine(directory, SaliencyHeads.FileName);
            if (!File.Exists(headsPath))
                throw new FileNotFoundException($"{headsPath}: no trained heads (run 'sdtp train-heads --model {directory}', or pass --heads FILE)");
        }
        var chosen = given ?? ChooseSchedule(config, configPath, loadHeads ? headsPath : null, needsSchedule);
        var tokenizer = TokenizerLoader.Load(directory);
        LlamaForCausalLM model;
        SaliencyHeads heads;
        if (config.NumHiddenLayers == TinyLlama.SdtpPlan.NumLayers && PruningScheduleSyntax.SameSchedule(chosen, TinyLlama.SdtpPlan.Schedule))
        {
            var tiny = new TinyLlama(config, chosenDType, ParameterInit.Uninitialized);
            try
            {
                HuggingFaceCheckpoint.LoadWeights(tiny, directory);
            }
            catch
            {
                tiny.Dispose();
                throw;
            }
            (model, chosen, heads) = (tiny, TinyLlama.SdtpPlan.Schedule, tiny.SdtpHeads);
        }
        else
        {
            model = HuggingFaceCheckpoint.Load(directory, Devices.Default, chosenDType);
            heads = new SaliencyHeads(chosen, config.HiddenSize, model.Device, model.DType); // fresh: what train-heads trains
        }
        model.eval();
        var session = new ModelSession(model, tokenizer, chosen, heads, directory);
        if (loadHeads) session.LoadHeads(headsPath!);
        return session;
    }

    private static PruningSchedule ParseScheduleOption(string text, int layers)
    {
        try
        {
            return PruningScheduleSyntax.Parse(text, layers);
        }
        catch (PruningScheduleException e)
        {
            throw new ArgumentException($"--schedule: {e.Message}");
        }
    }

    /// <summary>The schedule of a session without <c>--schedule</c>: the heads file's, the annotated class's, or (dense runs only) none.</summary>
    private static PruningSchedule ChooseSchedule(ModelConfig config, string configPath, string? headsPath, bool needsSchedule)
    {
        int layers = config.NumHiddenLayers;
        if (headsPath is not null && SaliencyHeads.ReadInfo(headsPath).Schedule is { } recorded)
        {
            try
            {
                return recorded.Validate(layers);
            }
            catch (PruningScheduleException e)
            {
                throw new CheckpointException($"{headsPath}: the heads' schedule does not fit the {layers}-layer model in {configPath}: {e.Message}");
            }
        }
        if (layers == TinyLlama.SdtpPlan.NumLayers) return TinyLlama.SdtpPlan.Schedule;
        if (!needsSchedule) return PruningSchedule.Dense;
        throw new ArgumentException(
            $"{configPath}: a {layers}-layer checkpoint has no schedule (the annotated TinyLlama class has {TinyLlama.SdtpPlan.NumLayers} layers): " +
            $"pass --schedule, {PruningScheduleSyntax.Summary}");
    }

    /// <summary>Loads heads of any inner width from <paramref name="path"/> in place of the current ones.</summary>
    public void LoadHeads(string path) =>
        UseHeads(SaliencyHeads.Load(path, Schedule, Model.Config.HiddenSize, Model.Device, Model.DType, ModelSignature.Of(Model)));

    /// <summary>Makes <paramref name="heads"/> the session's heads (the session disposes them; the replaced ones are disposed now).</summary>
    public void UseHeads(SaliencyHeads heads)
    {
        if (Generated is { } generated)
        {
            generated.UseSdtpHeads(heads);
            return;
        }
        SaliencyHeads.CheckFits(heads, Schedule, Model.Config.HiddenSize);
        if (ReferenceEquals(heads, referenceHeads)) return;
        referenceHeads.Dispose();
        referenceHeads = heads;
    }

    /// <summary>The SDTP prefill: the generated forward for the annotated model, the reference path otherwise.</summary>
    public Prefill SdtpPrefill(Action<PruningReport>? onReport = null) => Generated is { } generated
        ? (m, ids, cache) =>
        {
            var result = generated.SdtpPrefill(ids, cache: cache);
            onReport?.Invoke(result.Report);
            return result.LastLogits;
        }
        : Sdtp.Pruning.SdtpPrefill.For(Schedule, new SaliencyHeadScorer(Heads), onReport: onReport);

    public void Dispose()
    {
        if (Generated is null) referenceHeads.Dispose();
        Model.Dispose();
    }
}
