using System.Runtime.CompilerServices;
using Xunit;

namespace Sdtp.Tests.Shared;

/// <summary>
/// Approved-file assertions with Verify's conventions: <c>FOLDER/NAME.verified.EXT</c> beside the calling test holds the
/// approved text; on a difference the test writes <c>NAME.received.EXT</c> next to it and fails. Accept a change by
/// renaming received to verified, or by running the tests once with <c>SDTP_ACCEPT=1</c>; review the diff in git
/// either way. Linked into every test project that needs it.
/// </summary>
internal static class ApprovedFile
{
    public static void Match(string folder, string name, string extension, string actual, [CallerFilePath] string callerFile = "")
    {
        var directory = Path.Combine(Path.GetDirectoryName(SourcePath(callerFile))!, folder);
        var verified = Path.Combine(directory, $"{name}.verified.{extension}");
        var received = Path.Combine(directory, $"{name}.received.{extension}");
        actual = actual.ReplaceLineEndings("\n");
        if (File.Exists(verified) && File.ReadAllText(verified).ReplaceLineEndings("\n") == actual)
        {
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        Directory.CreateDirectory(directory);
        if (Environment.GetEnvironmentVariable("SDTP_ACCEPT") == "1")
        {
            File.WriteAllText(verified, actual);
            return;
        }
        File.WriteAllText(received, actual);
        Assert.Fail($"{name}: output differs from {verified}. Review {received}; accept it by renaming it to .verified.{extension} or rerunning with SDTP_ACCEPT=1.");
    }

    // A CI build (CI=true sets ContinuousIntegrationBuild) maps source paths to "/_/...", so the caller's path no longer
    // exists on disk; re-root it at the repository that holds the running test assembly.
    private static string SourcePath(string callerFile)
    {
        const string MappedRoot = "/_/";
        if (File.Exists(callerFile) || !callerFile.StartsWith(MappedRoot, StringComparison.Ordinal)) return callerFile;
        return Path.Combine(RepositoryRoot(), callerFile[MappedRoot.Length..]);
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SdtpGen.sln"))) return dir.FullName;
        throw new InvalidOperationException("SdtpGen.sln not found above " + AppContext.BaseDirectory);
    }
}
