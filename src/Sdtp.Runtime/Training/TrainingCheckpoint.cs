using System.Text.Json;
using System.Text.Json.Nodes;
using Sdtp.Checkpoints;
using Sdtp.Pruning;
using TorchSharp.Modules;

namespace Sdtp.Training;

/// <summary>
/// A resumable state of head training: the heads, the optimizer's moments and the step reached. Written as a
/// directory that is built beside the old one and swapped in by renames, so a crash leaves either the old checkpoint
/// or the new one, never a mix.
/// </summary>
public static class TrainingCheckpoint
{
    private const string StateFile = "trainer_state.json";
    private const string OptimizerFile = "optimizer.bin";

    /// <summary>Writes the state after <paramref name="stepsDone"/> steps to <paramref name="directory"/>.</summary>
    public static void Save(string directory, SaliencyHeads heads, PruningSchedule schedule, OptimizerHelper optimizer, int stepsDone, long seed)
    {
        var full = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(staging);
        try
        {
            heads.Save(Path.Combine(staging, SaliencyHeads.FileName), schedule);
            OptimizerStateFile.Save(Path.Combine(staging, OptimizerFile), optimizer);
            var state = new JsonObject { ["steps_done"] = stepsDone, ["seed"] = seed, ["layers"] = JsonSerializer.SerializeToNode(heads.Layers) };
            AtomicFile.WriteText(Path.Combine(staging, StateFile), state.ToJsonString());

            var old = Path.Combine(parent, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.old");
            if (Directory.Exists(full)) Directory.Move(full, old);
            Directory.Move(staging, full);
            if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    /// <summary>True when <paramref name="directory"/> holds a complete checkpoint.</summary>
    public static bool Exists(string directory) =>
        File.Exists(Path.Combine(directory, StateFile)) && File.Exists(Path.Combine(directory, OptimizerFile))
        && File.Exists(Path.Combine(directory, SaliencyHeads.FileName));

    /// <summary>Loads heads and optimizer state from <paramref name="directory"/>; returns the steps already done.</summary>
    public static int Load(string directory, SaliencyHeads heads, OptimizerHelper optimizer, long expectedSeed)
    {
        var statePath = Path.Combine(directory, StateFile);
        if (!Exists(directory))
            throw new CheckpointException($"{directory}: not a complete training checkpoint (needs {StateFile}, {OptimizerFile}, {SaliencyHeads.FileName})");
        var state = JsonNode.Parse(File.ReadAllText(statePath)) as JsonObject
            ?? throw new CheckpointException($"{statePath}: not a JSON object");
        var layers = state["layers"]?.Deserialize<int[]>() ?? [];
        if (!layers.SequenceEqual(heads.Layers))
            throw new CheckpointException($"{statePath}: field 'layers' is [{string.Join(", ", layers)}] but the schedule has heads at [{string.Join(", ", heads.Layers)}]");
        long seed = state["seed"]?.GetValue<long>() ?? throw new CheckpointException($"{statePath}: field 'seed' is missing");
        if (seed != expectedSeed)
            throw new CheckpointException($"{statePath}: field 'seed' is {seed} but training was started with seed {expectedSeed}; resuming would not reproduce the run");
        HuggingFaceCheckpoint.LoadFile(heads, Path.Combine(directory, SaliencyHeads.FileName));
        OptimizerStateFile.Load(Path.Combine(directory, OptimizerFile), optimizer);
        return state["steps_done"]?.GetValue<int>() ?? throw new CheckpointException($"{statePath}: field 'steps_done' is missing");
    }
}
