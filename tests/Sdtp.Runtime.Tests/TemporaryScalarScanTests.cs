using Microsoft.CodeAnalysis.CSharp;
using Sdtp.Tests.Shared;

namespace Sdtp.Runtime.Tests;

/// <summary>
/// The shipped code must not hand libtorch a temporary <see cref="TorchSharp.Scalar"/> (see <c>TensorMath</c>: the
/// collector may free it during the native call). The race itself shows only now and then, under load; this reads the
/// sources instead, so that a new <c>x * 0.5</c> fails every run and names its line.
/// </summary>
public class TemporaryScalarScanTests
{
    // What ships or runs for a user: the libraries, the server and the sample's CLI. Benchmarks are left out: the race
    // benchmark uses TorchSharp's own operators on purpose.
    private static readonly string[] ScannedFolders = ["src/Sdtp.Runtime", "src/Sdtp.Evaluation", "src/Sdtp.Serving", "src/Sdtp.Server", "samples"];

    [Fact]
    public void The_scan_finds_each_kind_of_temporary_scalar()
    {
        const string Planted = """
            using TorchSharp;
            using static TorchSharp.torch;
            class Planted
            {
                void Use(Tensor x, Tensor y, Scalar held)
                {
                    var a = x * 0.5;          // an operator with a number converts it to a Scalar inside TorchSharp
                    var b = x.pow(2);         // a number converted to a Scalar, as an argument
                    var c = x.fill_(true);    // a bool
                    var d = x + y;            // TorchSharp's operator adds with a temporary alpha of 1
                    var e = x.add(y);         // the same, by name
                    var f = x.add(y, held);   // held: not reported
                    var g = x.mul(y);         // no Scalar: not reported
                    var h = x - y;            // no Scalar: not reported
                    x *= 2;                   // an operator with a number, compound
                }
            }
            """;
        var found = TemporaryScalarScan.Find([CSharpSyntaxTree.ParseText(Planted, path: "Planted.cs")]);
        Assert.Equal(["Planted.cs:7", "Planted.cs:8", "Planted.cs:9", "Planted.cs:10", "Planted.cs:11", "Planted.cs:15"],
            found.Select(f => f.Split(' ')[0]).ToArray());
    }

    [Fact]
    public void No_shipped_source_passes_libtorch_a_temporary_scalar()
    {
        string root = ApprovedFile.RepositoryRoot();
        var trees = ScannedFolders
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            // Relative paths with '/' on every OS: the filters below and the runtime's prefix read them so.
            .Select(path => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(relative => !relative.Contains("/obj/") && !relative.Contains("/bin/"))
            .Select(relative => CSharpSyntaxTree.ParseText(File.ReadAllText(Path.Combine(root, relative)), path: relative))
            .ToArray();
        Assert.True(trees.Length > 100, $"only {trees.Length} source files found under {root}");
        var found = TemporaryScalarScan.Find(trees, out var errors);
        // The runtime needs only TorchSharp and the tokenizers, both beside the tests: every expression of it must bind.
        var runtimeErrors = errors.Where(e => e.Location.SourceTree?.FilePath.StartsWith("src/Sdtp.Runtime/", StringComparison.Ordinal) == true).ToList();
        Assert.True(runtimeErrors.Count == 0, "the runtime's sources did not compile for the scan: " + runtimeErrors.FirstOrDefault());
        Assert.True(found.Count == 0, "temporary Scalars (use TensorMath):\n" + string.Join('\n', found));
    }
}
