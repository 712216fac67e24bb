using Sdtp.Modeling;
using System.Globalization;
using System.Text.Json;
using Sdtp.Checkpoints;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sdtp.Pruning;

/// <summary>
/// One saliency head per pruning stage, named by the layer it sits at (<c>heads.layer_4.fc1.weight</c>, ...), so a head
/// file saved beside a model says which layers it serves. Saved as <c>sdtp_heads.safetensors</c> with the schedule
/// in the header's metadata.
/// </summary>
public sealed class SaliencyHeads : nn.Module
{
    /// <summary>File name beside the model.</summary>
    public const string FileName = "sdtp_heads.safetensors";

    private readonly ModuleDict<SaliencyHead> heads;
    private readonly int[] layers;

    /// <summary>
    /// Randomly initialised heads for the layers of <paramref name="schedule"/>, each with <paramref name="innerSize"/>
    /// hidden units (default <see cref="SaliencyHead.DefaultInnerSize"/>), at <see cref="HeadDType"/> of <paramref name="dtype"/>.
    /// </summary>
    public SaliencyHeads(PruningSchedule schedule, long hiddenSize, Device? device = null, ScalarType? dtype = null, long? innerSize = null)
        : this(schedule.Stages.Select(s => s.Layer).ToArray(), hiddenSize, device, dtype, innerSize)
    {
    }

    private SaliencyHeads(int[] layers, long hiddenSize, Device? device, ScalarType? dtype, long? innerSize)
        : base(nameof(SaliencyHeads))
    {
        dtype = HeadDType(dtype);
        this.layers = layers;
        HiddenSize = hiddenSize;
        InnerSize = innerSize ?? SaliencyHead.DefaultInnerSize(hiddenSize);
        heads = new ModuleDict<SaliencyHead>();
        foreach (var layer in layers)
            heads.Add((KeyOf(layer), new SaliencyHead(hiddenSize, device, dtype, InnerSize)));
        RegisterComponents();
    }

    /// <summary>
    /// The dtype heads are kept at for a model of <paramref name="modelDType"/>: fp32, or fp64 for an fp64 model. (Why)
    /// heads trained in fp16 diverged to NaN within two steps (AdamW's second moments underflow), and at d x d/4 per
    /// stage fp32 heads cost nothing; their input is normalised in fp32 anyway and their scores are ranked.
    /// </summary>
    public static ScalarType HeadDType(ScalarType? modelDType) => modelDType == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;

    /// <summary>Hidden width the heads read.</summary>
    public long HiddenSize { get; }

    /// <summary>Hidden units of each head (d/4 for trained heads, a multiple of it for an <see cref="Average"/>).</summary>
    public long InnerSize { get; }

    /// <summary>Layers with a head, in order.</summary>
    public IReadOnlyList<int> Layers => layers;

    /// <summary>The head of stage <paramref name="stage"/>.</summary>
    public SaliencyHead ForStage(int stage) => heads[KeyOf(layers[stage])];

    /// <summary>Every head parameter (what the trainer optimises).</summary>
    public IEnumerable<Parameter> HeadParameters() => parameters();

    /// <summary>
    /// Re-draws every head's weights from <paramref name="seed"/> (nn.Linear's default range, U(-1/sqrt(fan_in),
    /// 1/sqrt(fan_in))), so training from the same seed starts from the same heads on every run and machine.
    /// </summary>
    public void ResetParameters(long seed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed, CPU);
        // Draw order is part of what a seed means: heads by key (ordinal), fc1 before fc2, bias before weight.
        foreach (var layer in layers.OrderBy(KeyOf, StringComparer.Ordinal))
            foreach (var linear in new[] { heads[KeyOf(layer)].Fc1, heads[KeyOf(layer)].Fc2 })
            {
                double bound = 1 / Math.Sqrt(linear.in_features);
                foreach (var parameter in new[] { linear.bias!, linear.weight! })
                {
                    var draw = rand(parameter.shape, generator: generator, dtype: ScalarType.Float32).Times(2 * bound).Plus(-bound);
                    parameter.copy_(draw.to(parameter.dtype).to(parameter.device));
                }
            }
    }

    /// <summary>
    /// The ensemble of <paramref name="members"/> (same layers and hidden width) as one set of wider heads: each stage's
    /// hidden units are the members' side by side and its output layer averages theirs, so its keep score is exactly the
    /// mean of the members' keep scores. (Why) heads trained from different seeds fail on different tasks, and their
    /// mean often keeps what each keeps best, though not always, so the CLI validates it as one more candidate (docs/experiments.md,
    /// "Choices kept"). The result is an ordinary <see cref="SaliencyHeads"/>: the generated forward, saving and
    /// loading take it unchanged.
    /// </summary>
    public static SaliencyHeads Average(IReadOnlyList<SaliencyHeads> members)
    {
        if (members.Count == 0) throw new ArgumentException("no heads to average", nameof(members));
        var first = members[0];
        foreach (var (member, index) in members.Select((m, i) => (m, i)))
            if (!member.layers.SequenceEqual(first.layers) || member.HiddenSize != first.HiddenSize)
                throw new ArgumentException(
                    $"heads {index} sit at layers [{string.Join(", ", member.layers)}] with hidden size {member.HiddenSize}, heads 0 at [{string.Join(", ", first.layers)}] with {first.HiddenSize}",
                    nameof(members));
        var weight = first.parameters().FirstOrDefault(); // none when the schedule has no stages
        var average = new SaliencyHeads(first.layers, first.HiddenSize, weight?.device, weight?.dtype, members.Sum(m => m.InnerSize));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int stage = 0; stage < first.layers.Length; stage++)
        {
            var parts = members.Select(m => m.ForStage(stage)).ToArray();
            var target = average.ForStage(stage);
            target.Fc1.weight!.copy_(cat(parts.Select(p => p.Fc1.weight!).ToArray(), 0));
            target.Fc1.bias!.copy_(cat(parts.Select(p => p.Fc1.bias!).ToArray(), 0));
            target.Fc2.weight!.copy_(cat(parts.Select(p => p.Fc2.weight!).ToArray(), 1).DividedBy(members.Count));
            target.Fc2.bias!.copy_(stack(parts.Select(p => p.Fc2.bias!).ToArray()).mean([0]));
        }
        average.IsTrained = members.All(m => m.IsTrained);
        average.BaseModel = members.Select(m => m.BaseModel).Distinct().Count() == 1 ? first.BaseModel : null;
        return average;
    }

    /// <summary>Throws when <paramref name="heads"/> do not sit at the layers of <paramref name="schedule"/> or read another hidden width.</summary>
    public static void CheckFits(SaliencyHeads heads, PruningSchedule schedule, long hiddenSize)
    {
        var expected = schedule.Stages.Select(s => s.Layer).ToArray();
        if (!heads.layers.SequenceEqual(expected))
            throw new ArgumentException($"heads sit at layers [{string.Join(", ", heads.layers)}] but the schedule prunes at [{string.Join(", ", expected)}]", nameof(heads));
        if (heads.HiddenSize != hiddenSize)
            throw new ArgumentException($"heads read hidden size {heads.HiddenSize} but the model's is {hiddenSize}", nameof(heads));
    }

    private static string KeyOf(int layer) => "layer_" + layer.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Whether these heads were trained or loaded from a file: pruning refuses heads that were neither
    /// (<see cref="EnsureTrained"/>), since fresh heads rank tokens at random.
    /// </summary>
    public bool IsTrained { get; private set; }

    /// <summary>The <see cref="Modeling.ModelSignature"/> of the model the heads were trained on, when known.</summary>
    public string? BaseModel { get; private set; }

    /// <summary>Records that training on the model of signature <paramref name="baseModel"/> produced these heads.</summary>
    public void MarkTrained(string baseModel)
    {
        IsTrained = true;
        BaseModel = baseModel;
    }

    /// <summary>Throws <see cref="UntrainedHeadsException"/> unless the heads were trained or loaded.</summary>
    public void EnsureTrained()
    {
        if (!IsTrained)
            throw new UntrainedHeadsException(
                "the saliency heads were never trained or loaded, so pruning with them would keep random tokens: load trained heads " +
                $"(LoadSdtpHeads(path) or SaliencyHeads.Load; '{FileName}' beside a model) or train them ('sdtp train-heads', HeadTrainer)");
    }

    private static class Keys
    {
        public const string Layers = "sdtp.layers", KeepRatios = "sdtp.keep_ratios", Schedule = "sdtp.schedule", HiddenSize = "sdtp.hidden_size",
            InnerSize = "sdtp.inner_size", InputNormalization = "sdtp.input_norm", BaseModel = "sdtp.base_model";
    }

    /// <summary>
    /// Writes the heads atomically to <paramref name="path"/>, with what they are bound to in the header's metadata:
    /// the schedule, the hidden width, the input normalisation and the base model's signature (when known).
    /// </summary>
    public void Save(string path, PruningSchedule schedule)
    {
        CheckFits(this, schedule, HiddenSize);
        var metadata = new Dictionary<string, string>
        {
            [Keys.Layers] = JsonSerializer.Serialize(layers),
            [Keys.KeepRatios] = JsonSerializer.Serialize(schedule.Stages.Select(s => s.KeepRatio)),
            [Keys.Schedule] = PruningScheduleSyntax.Format(schedule),
            [Keys.HiddenSize] = HiddenSize.ToString(CultureInfo.InvariantCulture),
            [Keys.InnerSize] = InnerSize.ToString(CultureInfo.InvariantCulture),
            [Keys.InputNormalization] = SaliencyHead.InputNormalization,
        };
        if (BaseModel is not null) metadata[Keys.BaseModel] = BaseModel;
        SafeTensorsFile.Write(path, state_dict(), metadata);
    }

    /// <summary>
    /// What a heads file says it is bound to; a field is null when the file does not record it (files written before
    /// heads recorded their binding have only layers and keep ratios).
    /// </summary>
    public sealed record FileInfo(PruningSchedule? Schedule, long? HiddenSize, string? InputNormalization, string? BaseModel);

    /// <summary>Reads the binding recorded in the heads file <paramref name="path"/> without loading its tensors.</summary>
    public static FileInfo ReadInfo(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        return ReadInfo(file, path);
    }

    private static FileInfo ReadInfo(SafeTensorsFile file, string path)
    {
        var m = file.Metadata;
        PruningSchedule? schedule = null;
        if (m.TryGetValue(Keys.Schedule, out var text))
        {
            try
            {
                schedule = PruningScheduleSyntax.Parse(text, ScheduleRules.MaxLayers);
            }
            catch (PruningScheduleException e)
            {
                throw new CheckpointException($"{path}: metadata '{Keys.Schedule}' is not a schedule: {e.Message}");
            }
        }
        long? hidden = null;
        if (m.TryGetValue(Keys.HiddenSize, out var h))
            hidden = long.TryParse(h, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value
                : throw new CheckpointException($"{path}: metadata '{Keys.HiddenSize}' is '{h}', not a positive whole number");
        return new FileInfo(schedule, hidden, m.GetValueOrDefault(Keys.InputNormalization), m.GetValueOrDefault(Keys.BaseModel));
    }

    /// <summary>
    /// Loads heads for <paramref name="schedule"/> from <paramref name="path"/>, checking names and shapes; their inner
    /// width is read from the file (the first stage's <c>fc1.weight</c>), so averaged heads load like trained ones.
    /// What the file records is checked too: its schedule, hidden width and input normalisation must be this model's,
    /// and its base model <paramref name="baseModel"/> (a <see cref="Modeling.ModelSignature"/>) when both are known.
    /// </summary>
    public static SaliencyHeads Load(string path, PruningSchedule schedule, long hiddenSize, Device? device = null, ScalarType? dtype = null, string? baseModel = null)
    {
        FileInfo info;
        long? inner = null;
        using (var file = SafeTensorsFile.Open(path))
        {
            info = ReadInfo(file, path);
            if (schedule.Stages.Count > 0 && file.Entries.TryGetValue($"heads.{KeyOf(schedule.Stages[0].Layer)}.fc1.weight", out var fc1) && fc1.Shape.Length == 2)
                inner = fc1.Shape[0];
        }
        if (info.Schedule is { } trainedFor && !PruningScheduleSyntax.SameSchedule(trainedFor, schedule))
            throw new CheckpointException($"{path}: the heads were trained for schedule '{PruningScheduleSyntax.Format(trainedFor)}', " +
                $"but this model prunes with '{PruningScheduleSyntax.Format(schedule)}'; train heads for this schedule, or run with theirs");
        if (info.HiddenSize is { } width && width != hiddenSize)
            throw new CheckpointException($"{path}: the heads read hidden states of width {width}, but this model's hidden size is {hiddenSize}");
        if (info.InputNormalization is { } norm && norm != SaliencyHead.InputNormalization)
            throw new CheckpointException($"{path}: the heads expect input normalisation '{norm}', this runtime applies '{SaliencyHead.InputNormalization}'");
        if (info.BaseModel is { } trainedOn && baseModel is not null && trainedOn != baseModel)
            throw new CheckpointException($"{path}: the heads were trained on a model of signature {trainedOn}, but this model's is {baseModel} " +
                "(another architecture or tensor layout); train heads on this model");
        if (inner < 1)
            throw new CheckpointException($"{path}: tensor 'heads.{KeyOf(schedule.Stages[0].Layer)}.fc1.weight' has an inner width of {inner}; heads need at least 1");
        var heads = new SaliencyHeads(schedule, hiddenSize, device, dtype, inner);
        try
        {
            HuggingFaceCheckpoint.LoadFile(heads, path);
            heads.IsTrained = true;
            heads.BaseModel = info.BaseModel ?? baseModel;
            return heads;
        }
        catch
        {
            heads.Dispose();
            throw;
        }
    }
}

/// <summary>Pruning was asked of heads that were never trained or loaded.</summary>
public sealed class UntrainedHeadsException(string message) : InvalidOperationException(message);
