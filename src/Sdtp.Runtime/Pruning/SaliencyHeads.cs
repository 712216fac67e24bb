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
    /// hidden units (default <see cref="SaliencyHead.DefaultInnerSize"/>).
    /// </summary>
    public SaliencyHeads(PruningSchedule schedule, long hiddenSize, Device? device = null, ScalarType? dtype = null, long? innerSize = null)
        : this(schedule.Stages.Select(s => s.Layer).ToArray(), hiddenSize, device, dtype, innerSize)
    {
    }

    private SaliencyHeads(int[] layers, long hiddenSize, Device? device, ScalarType? dtype, long? innerSize)
        : base(nameof(SaliencyHeads))
    {
        this.layers = layers;
        HiddenSize = hiddenSize;
        InnerSize = innerSize ?? SaliencyHead.DefaultInnerSize(hiddenSize);
        heads = new ModuleDict<SaliencyHead>();
        foreach (var layer in layers)
            heads.Add((KeyOf(layer), new SaliencyHead(hiddenSize, device, dtype, InnerSize)));
        RegisterComponents();
    }

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
                    var draw = rand(parameter.shape, generator: generator, dtype: ScalarType.Float32) * (2 * bound) - bound;
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
            target.Fc2.weight!.copy_(cat(parts.Select(p => p.Fc2.weight!).ToArray(), 1) / members.Count);
            target.Fc2.bias!.copy_(stack(parts.Select(p => p.Fc2.bias!).ToArray()).mean([0]));
        }
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

    /// <summary>Writes the heads atomically to <paramref name="path"/>.</summary>
    public void Save(string path, PruningSchedule schedule)
    {
        var metadata = new Dictionary<string, string>
        {
            ["sdtp.layers"] = JsonSerializer.Serialize(layers),
            ["sdtp.keep_ratios"] = JsonSerializer.Serialize(schedule.Stages.Select(s => s.KeepRatio)),
            ["sdtp.hidden_size"] = HiddenSize.ToString(CultureInfo.InvariantCulture),
            ["sdtp.inner_size"] = InnerSize.ToString(CultureInfo.InvariantCulture),
        };
        SafeTensorsFile.Write(path, state_dict(), metadata);
    }

    /// <summary>
    /// Loads heads for <paramref name="schedule"/> from <paramref name="path"/>, checking names and shapes; their inner
    /// width is read from the file (the first stage's <c>fc1.weight</c>), so averaged heads load like trained ones.
    /// </summary>
    public static SaliencyHeads Load(string path, PruningSchedule schedule, long hiddenSize, Device? device = null, ScalarType? dtype = null)
    {
        long? inner = null;
        using (var file = SafeTensorsFile.Open(path))
            if (schedule.Stages.Count > 0 && file.Entries.TryGetValue($"heads.{KeyOf(schedule.Stages[0].Layer)}.fc1.weight", out var fc1) && fc1.Shape.Length == 2)
                inner = fc1.Shape[0];
        if (inner < 1)
            throw new CheckpointException($"{path}: tensor 'heads.{KeyOf(schedule.Stages[0].Layer)}.fc1.weight' has an inner width of {inner}; heads need at least 1");
        var heads = new SaliencyHeads(schedule, hiddenSize, device, dtype, inner);
        try
        {
            HuggingFaceCheckpoint.LoadFile(heads, path);
            return heads;
        }
        catch
        {
            heads.Dispose();
            throw;
        }
    }
}
