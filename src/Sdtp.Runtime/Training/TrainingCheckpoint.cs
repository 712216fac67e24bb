using System.Text.Json;
using System.Text.Json.Nodes;
using Sdtp.Checkpoints;
using Sdtp.Pruning;
using TorchSharp.Modules;

namespace Sdtp.Training;

/// <summary>
/// A resumable state of head training: the heads, the optimizer's moments, the step reached and the definition of the
/// run (options and training data) it belongs to. Written as a directory that is built beside the old one and swapped
/// in by renames, so a crash leaves either the old checkpoint or the new one, never a mix; what a crash leaves behind
/// is recovered or removed by the next run.
/// </summary>
public static class TrainingCheckpoint
{
    private const string StateFile = "trainer_state.json";
    private const string OptimizerFile = "optimizer.bin";

    /// <summary>Writes the state after <paramref name="stepsDone"/> steps of the run <paramref name="run"/> to <paramref name="directory"/>.</summary>
    public static void Save(string directory, SaliencyHeads heads, PruningSchedule schedule, OptimizerHelper optimizer, int stepsDone,
        IReadOnlyDictionary<string, string> run)
    {
        var full = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        RecoverInterruptedSave(full);
        var staging = Path.Combine(parent, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(staging);
        try
        {
            heads.Save(Path.Combine(staging, SaliencyHeads.FileName), schedule);
            OptimizerStateFile.Save(Path.Combine(staging, OptimizerFile), optimizer);
            var state = new JsonObject
            {
                ["steps_done"] = stepsDone,
                ["layers"] = JsonSerializer.SerializeToNode(heads.Layers),
                ["run"] = JsonSerializer.SerializeToNode(run),
            };
            AtomicFile.WriteText(Path.Combine(staging, StateFile), state.ToJsonString()); // last: a staging folder with it is complete

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

    /// <summary>
    /// Cleans up after a save that was killed: when the checkpoint itself is gone (killed between the two renames), the
    /// newest complete staging folder, else the previous checkpoint, takes its place; every other leftover is deleted.
    /// </summary>
    public static void RecoverInterruptedSave(string directory)
    {
        var full = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(parent)) return;
        string name = Path.GetFileName(full);
        var leftovers = Directory.GetDirectories(parent, $".{name}.*.tmp").Concat(Directory.GetDirectories(parent, $".{name}.*.old")).ToList();
        if (!Directory.Exists(full))
        {
            var replacement = leftovers.Where(Exists)
                .OrderByDescending(d => d.EndsWith(".tmp", StringComparison.Ordinal)) // a complete staging folder is the newer state
                .ThenByDescending(d => File.GetLastWriteTimeUtc(Path.Combine(d, StateFile))).FirstOrDefault();
            if (replacement is not null)
            {
                Directory.Move(replacement, full);
                leftovers.Remove(replacement);
            }
        }
        foreach (var leftover in leftovers) Directory.Delete(leftover, recursive: true);
        AtomicFile.RemoveLeftovers(full);
    }

    /// <summary>
    /// Loads heads and optimizer state from <paramref name="directory"/>; returns the steps already done and the run the
    /// checkpoint was made for. A checkpoint of another run (<paramref name="expectedRun"/> differs) is refused, naming
    /// both values, before anything is loaded.
    /// </summary>
    public static (int StepsDone, IReadOnlyDictionary<string, string> Run) Load(string directory, SaliencyHeads heads, OptimizerHelper optimizer,
        IReadOnlyDictionary<string, string> expectedRun)
    {
        RecoverInterruptedSave(directory);
        var statePath = Path.Combine(directory, StateFile);
        if (!Exists(directory))
            throw new CheckpointException($"{directory}: not a complete training checkpoint (needs {StateFile}, {OptimizerFile}, {SaliencyHeads.FileName})");
        JsonObject state;
        try
        {
            state = JsonNode.Parse(File.ReadAllText(statePath)) as JsonObject ?? throw new CheckpointException($"{statePath}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{statePath}: malformed JSON: {e.Message}");
        }
        int[] layers = state["layers"] is JsonArray array && array.All(n => n is JsonValue v && v.TryGetValue<int>(out _))
            ? array.Select(n => n!.GetValue<int>()).ToArray()
            : throw new CheckpointException($"{statePath}: field 'layers' must be a list of layer numbers");
        if (!layers.SequenceEqual(heads.Layers))
            throw new CheckpointException($"{statePath}: field 'layers' is [{string.Join(", ", layers)}] but the schedule has heads at [{string.Join(", ", heads.Layers)}]");
        var run = state["run"] as JsonObject
            ?? throw new CheckpointException($"{statePath}: field 'run' is missing (a checkpoint of an older version); delete {directory} to start again");
        var recorded = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, node) in run)
            recorded[key] = node is JsonValue v && v.TryGetValue<string>(out var text) ? text
                : throw new CheckpointException($"{statePath}: field 'run.{key}' must be a string");
        var differences = expectedRun.Where(kv => recorded.TryGetValue(kv.Key, out var was) && was != kv.Value)
            .Select(kv => $"{kv.Key} {recorded[kv.Key]} (this run: {kv.Value})").ToList();
        if (differences.Count > 0)
            throw new CheckpointException($"{directory}: the checkpoint belongs to a run with {string.Join(", ", differences)}; " +
                "rerun with the same options, or delete it (or pass another --checkpoint) to start again");
        int stepsDone = state["steps_done"] is JsonValue s && s.TryGetValue<int>(out var done) && done >= 0 ? done
            : throw new CheckpointException($"{statePath}: field 'steps_done' must be a non-negative integer");
        HuggingFaceCheckpoint.LoadFile(heads, Path.Combine(directory, SaliencyHeads.FileName));
        OptimizerStateFile.Load(Path.Combine(directory, OptimizerFile), optimizer);
        return (stepsDone, recorded);
    }
}
