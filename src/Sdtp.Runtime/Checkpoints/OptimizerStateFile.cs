using TorchSharp.Modules;

namespace Sdtp.Checkpoints;

/// <summary>An optimizer's moments and step counts on disk (TorchSharp's binary format), written atomically.</summary>
public static class OptimizerStateFile
{
    /// <summary>Writes <paramref name="optimizer"/>'s state to <paramref name="path"/> via a temp file and rename.</summary>
    public static void Save(string path, OptimizerHelper optimizer) =>
        AtomicFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            optimizer.save_state_dict(writer);
        });

    /// <summary>Restores <paramref name="optimizer"/>'s state from <paramref name="path"/>.</summary>
    public static void Load(string path, OptimizerHelper optimizer)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: optimizer state not found");
        using var reader = new BinaryReader(File.OpenRead(path));
        optimizer.load_state_dict(reader);
    }
}
