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
        var directory = Path.Combine(Path.GetDirectoryName(callerFile)!, folder);
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
}
