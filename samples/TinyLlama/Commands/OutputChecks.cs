namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary>
/// Checks, before any work starts, that an output can be written: a run of minutes must not fail at its last step
/// because --out names a file, a read-only place or a path under a file.
/// </summary>
internal static class OutputChecks
{
    /// <summary>Creates <paramref name="directory"/> if needed and proves a file can be written in it.</summary>
    public static void WritableDirectory(string option, string directory)
    {
        var full = Path.GetFullPath(directory);
        if (File.Exists(full)) throw new ArgumentException($"{option} {directory}: is a file, not a directory");
        try
        {
            Directory.CreateDirectory(full);
            var probe = Path.Combine(full, $".sdtp-write-check.{Guid.NewGuid():N}.tmp");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{option} {directory}: cannot write there ({e.Message})");
        }
    }

    /// <summary>Checks that <paramref name="file"/> is not a directory and that its folder is writable.</summary>
    public static void WritableFile(string option, string file)
    {
        var full = Path.GetFullPath(file);
        if (Directory.Exists(full)) throw new ArgumentException($"{option} {file}: is a directory; give a file name");
        WritableDirectory(option, Path.GetDirectoryName(full)!);
    }
}
