using System.Runtime.CompilerServices;

namespace Sdtp.Generators.Tests;

/// <summary>
/// Snapshot files with Verify's conventions: <c>Snapshots/NAME.verified.cs</c> holds the approved output; on a
/// difference the test writes <c>NAME.received.cs</c> beside it and fails. Accept a change by renaming received to
/// verified, or by running the tests once with <c>SDTP_ACCEPT=1</c>; review the diff in git either way.
/// </summary>
internal static class Snapshot
{
    public static void Match(string name, string actual, [CallerFilePath] string callerFile = "")
    {
        var directory = Path.Combine(Path.GetDirectoryName(callerFile)!, "Snapshots");
        var verified = Path.Combine(directory, name + ".verified.cs");
        var received = Path.Combine(directory, name + ".received.cs");
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
        Assert.Fail($"{name}: generated code differs from {verified}. Review {received}; accept it by renaming it to .verified.cs or rerunning with SDTP_ACCEPT=1.");
    }
}
