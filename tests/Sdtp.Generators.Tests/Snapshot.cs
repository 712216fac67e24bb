using System.Runtime.CompilerServices;
using Sdtp.Tests.Shared;

namespace Sdtp.Generators.Tests;

/// <summary>Snapshots of generated source: <c>Snapshots/NAME.verified.cs</c> (see <see cref="ApprovedFile"/>).</summary>
internal static class Snapshot
{
    public static void Match(string name, string actual, [CallerFilePath] string callerFile = "") =>
        ApprovedFile.Match("Snapshots", name, "cs", actual, callerFile);
}
