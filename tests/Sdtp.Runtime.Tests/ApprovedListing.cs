using System.Runtime.CompilerServices;
using Sdtp.Tests.Shared;

namespace Sdtp.Runtime.Tests;

/// <summary>Approved text listings: <c>Approved/NAME.verified.txt</c> (see <see cref="ApprovedFile"/>).</summary>
internal static class ApprovedListing
{
    public static void Match(string name, string actual, [CallerFilePath] string callerFile = "") =>
        ApprovedFile.Match("Approved", name, "txt", actual, callerFile);
}
