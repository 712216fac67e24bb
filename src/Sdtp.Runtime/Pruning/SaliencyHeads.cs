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

    /// <summary>Randomly initialised heads for the layers of <paramref name="schedule"/>.</summary>
    public SaliencyHeads(PruningSchedule schedule, long hiddenSize, Device? device = null, ScalarType? dtype = null)
        : base(nameof(SaliencyHeads))
    {
        layers = schedule.Stages.Select(s => s.Layer).ToArray();
        HiddenSize = hiddenSize;
        heads = new ModuleDict<SaliencyHead>();
        foreach (var layer in layers)
            heads.Add((KeyOf(layer), new SaliencyHead(hiddenSize, device, dtype)));
        RegisterComponents();
    }

    /// <summary>Hidden width the heads read.</summary>
    public long HiddenSize { get; }

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

    private static string KeyOf(int layer) => "layer_" + layer.ToString(CultureInfo.InvariantCulture);

    /// <summary>Writes the heads atomically to <paramref name="path"/>.</summary>
    public void Save(string path, PruningSchedule schedule)
    {
        var metadata = new Dictionary<string, string>
        {
            ["sdtp.layers"] = JsonSerializer.Serialize(layers),
            ["sdtp.keep_ratios"] = JsonSerializer.Serialize(schedule.Stages.Select(s => s.KeepRatio)),
            ["sdtp.hidden_size"] = HiddenSize.ToString(CultureInfo.InvariantCulture),
        };
        SafeTensorsFile.Write(path, state_dict(), metadata);
    }

    /// <summary>Loads heads for <paramref name="schedule"/> from <paramref name="path"/>, checking names and shapes.</summary>
    public static SaliencyHeads Load(string path, PruningSchedule schedule, long hiddenSize, Device? device = null, ScalarType? dtype = null)
    {
        var heads = new SaliencyHeads(schedule, hiddenSize, device, dtype);
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
