using Sdtp.Checkpoints;
using Sdtp.Generation;
using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Tokenization;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary>
/// A loaded checkpoint with its tokenizer, schedule and heads. A checkpoint with the default's layer count is loaded
/// into the annotated <see cref="TinyLlama"/>, so its generated forward runs; any other goes through the runtime's
/// reference path with a geometric schedule from layer 1 that keeps about 35% of the tokens.
/// </summary>
internal sealed class ModelSession : IDisposable
{
    /// <summary>The shipped default checkpoint, copied next to the executable.</summary>
    public static string DefaultModelDirectory => Path.Combine(AppContext.BaseDirectory, "model");

    private SaliencyHeads referenceHeads; // the reference path's heads; the annotated model owns its own

    private ModelSession(LlamaForCausalLM model, ITextTokenizer tokenizer, PruningSchedule schedule, SaliencyHeads heads, string directory)
    {
        Model = model;
        Tokenizer = tokenizer;
        Schedule = schedule;
        referenceHeads = heads;
        Directory = directory;
    }

    public LlamaForCausalLM Model { get; }
    public ITextTokenizer Tokenizer { get; }
    public PruningSchedule Schedule { get; }
    public SaliencyHeads Heads => Model is TinyLlama tiny ? tiny.SdtpHeads : referenceHeads;
    public string Directory { get; }
    public string HeadsPath => Path.Combine(Directory, SaliencyHeads.FileName);
    public bool UsesGeneratedForward => Model is TinyLlama;

    /// <summary>
    /// Loads the checkpoint in <paramref name="directory"/> (the embedded default when null) and, with
    /// <paramref name="loadHeads"/>, its trained heads: <paramref name="headsPath"/>, or the directory's
    /// <see cref="SaliencyHeads.FileName"/> when null.
    /// </summary>
    public static ModelSession Open(string? directory, bool loadHeads, string? headsPath = null)
    {
        directory ??= DefaultModelDirectory;
        if (!System.IO.Directory.Exists(directory))
            throw new DirectoryNotFoundException($"{directory}: model directory not found (pass --model DIR, or run 'sdtp train-base --out {directory}')");
        var configPath = Path.Combine(directory, HuggingFaceCheckpoint.ConfigFile);
        var config = ModelConfig.Load(configPath);
        ModelMemory.EnsureFits(config, Devices.Default, TorchSharp.torch.ScalarType.Float32, configPath);
        var tokenizer = TokenizerLoader.Load(directory);
        LlamaForCausalLM model;
        PruningSchedule schedule;
        SaliencyHeads heads;
        if (config.NumHiddenLayers == TinyLlama.SdtpPlan.NumLayers)
        {
            var tiny = new TinyLlama(config);
            HuggingFaceCheckpoint.LoadWeights(tiny, directory);
            (model, schedule, heads) = (tiny, TinyLlama.SdtpPlan.Schedule, tiny.SdtpHeads);
        }
        else
        {
            model = HuggingFaceCheckpoint.Load(directory, Devices.Default);
            int stages = config.NumHiddenLayers - 1;
            schedule = PruningSchedule.Geometric(1, 1, stages, Math.Pow(0.35, 1.0 / stages));
            heads = new SaliencyHeads(schedule, config.HiddenSize, model.Device, model.DType);
        }
        model.eval();
        var session = new ModelSession(model, tokenizer, schedule, heads, directory);
        if (loadHeads)
        {
            headsPath ??= session.HeadsPath;
            if (!File.Exists(headsPath))
                throw new FileNotFoundException($"{headsPath}: no trained heads (run 'sdtp train-heads --model {directory}', or pass --heads FILE)");
            session.LoadHeads(headsPath);
        }
        return session;
    }

    /// <summary>Loads heads of any inner width from <paramref name="path"/> in place of the current ones.</summary>
    public void LoadHeads(string path) => UseHeads(SaliencyHeads.Load(path, Schedule, Model.Config.HiddenSize, Model.Device, Model.DType));

    /// <summary>Makes <paramref name="heads"/> the session's heads (the session disposes them; the replaced ones are disposed now).</summary>
    public void UseHeads(SaliencyHeads heads)
    {
        if (Model is TinyLlama tiny)
        {
            tiny.UseSdtpHeads(heads);
            return;
        }
        SaliencyHeads.CheckFits(heads, Schedule, Model.Config.HiddenSize);
        if (ReferenceEquals(heads, referenceHeads)) return;
        referenceHeads.Dispose();
        referenceHeads = heads;
    }

    /// <summary>The SDTP prefill: the generated forward for the annotated model, the reference path otherwise.</summary>
    public Prefill SdtpPrefill(Action<PruningReport>? onReport = null) => Model is TinyLlama tiny
        ? (m, ids, cache) =>
        {
            var result = tiny.SdtpPrefill(ids, cache: cache);
            onReport?.Invoke(result.Report);
            return result.LastLogits;
        }
        : Sdtp.Pruning.SdtpPrefill.For(Schedule, new SaliencyHeadScorer(Heads), onReport: onReport);

    public void Dispose()
    {
        if (Model is not TinyLlama) referenceHeads.Dispose();
        Model.Dispose();
    }
}
