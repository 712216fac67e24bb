using System.Runtime.CompilerServices;

namespace Sdtp.Runtime.Tests;

/// <summary>
/// Compares text with an approved file beside the test source (Verify's naming: <c>NAME.verified.txt</c>). On a
/// difference it writes <c>NAME.received.txt</c> next to it; accept a change by renaming received to verified,
/// or by running the tests with <c>SDTP_ACCEPT=1</c>.
/// </summary>
internal static class ApprovedListing
{
    public static void Match(string name, string actual, [CallerFilePath] string callerFile = "")
    {
        var directory = Path.Combine(Path.GetDirectoryName(callerFile)!, "Approved");
        var verified = Path.Combine(directory, name + ".verified.txt");
        var received = Path.Combine(directory, name + ".received.txt");
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
        Assert.Fail($"{name}: output differs from {verified}. Review {received}; accept it by renaming it to .verified.txt or rerunning with SDTP_ACCEPT=1.");
    }
}
