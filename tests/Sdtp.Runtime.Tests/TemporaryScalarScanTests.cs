using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
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
            .Where(path => !path.Contains("/obj/") && !path.Contains("/bin/"))
            .Select(path => CSharpSyntaxTree.ParseText(File.ReadAllText(path), path: Path.GetRelativePath(root, path)))
            .ToArray();
        Assert.True(trees.Length > 100, $"only {trees.Length} source files found under {root}");
        var found = TemporaryScalarScan.Find(trees, out var errors);
        // The runtime needs only TorchSharp and the tokenizers, both beside the tests: every expression of it must bind.
        var runtimeErrors = errors.Where(e => e.Location.SourceTree?.FilePath.StartsWith("src/Sdtp.Runtime/", StringComparison.Ordinal) == true).ToList();
        Assert.True(runtimeErrors.Count == 0, "the runtime's sources did not compile for the scan: " + runtimeErrors.FirstOrDefault());
        Assert.True(found.Count == 0, "temporary Scalars (use TensorMath):\n" + string.Join('\n', found));
    }
}

/// <summary>Finds the expressions that make TorchSharp create a Scalar nothing holds.</summary>
internal static class TemporaryScalarScan
{
    // The framework, TorchSharp and the packages beside the tests; not the project assemblies, whose sources are scanned.
    private static readonly Lazy<MetadataReference[]> References = new(() =>
    {
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var beside = Directory.EnumerateFiles(AppContext.BaseDirectory, "*.dll");
        return trusted.Concat(beside).DistinctBy(Path.GetFileName)
            .Where(path => !Path.GetFileName(path).StartsWith("Sdtp.", StringComparison.Ordinal) && IsManagedAssembly(path))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path)).ToArray();
    });

    // The projects' implicit usings (ImplicitUsings=enable).
    private static readonly SyntaxTree ImplicitUsings = CSharpSyntaxTree.ParseText("""
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """);

    /// <summary>"path:line expression" for each temporary Scalar in <paramref name="trees"/>, in source order.</summary>
    public static List<string> Find(SyntaxTree[] trees) => Find(trees, out _);

    /// <summary>The same, and the compiler's errors (packages the tests do not reference leave some names unresolved).</summary>
    public static List<string> Find(SyntaxTree[] trees, out IReadOnlyList<Diagnostic> errors)
    {
        // One compilation of everything: the projects' types resolve across folders, and whatever stays unresolved
        // (a package not referenced here) only hides expressions that do not involve tensors.
        var compilation = CSharpCompilation.Create("Scan", [ImplicitUsings, .. trees], References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
        var scalar = compilation.GetTypeByMetadataName("TorchSharp.Scalar")!;
        var tensor = compilation.GetTypeByMetadataName("TorchSharp.torch+Tensor")!;
        var found = new List<string>();
        foreach (var tree in trees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var node in tree.GetRoot().DescendantNodes().OfType<ExpressionSyntax>())
            {
                if (IsConvertedToScalar(model, node, scalar) || CreatesScalarInside(model, node, tensor))
                    found.Add($"{tree.FilePath}:{node.GetLocation().GetLineSpan().StartLinePosition.Line + 1} {node}");
            }
        }
        errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        return found;
    }

    private static bool IsConvertedToScalar(SemanticModel model, ExpressionSyntax node, INamedTypeSymbol scalar)
    {
        var info = model.GetTypeInfo(node);
        return info.Type is not null && !SymbolEqualityComparer.Default.Equals(info.Type, scalar)
            && SymbolEqualityComparer.Default.Equals(info.ConvertedType, scalar);
    }

    // TorchSharp methods that make the Scalar themselves: `a + b` and `a.add(b)` on tensors pass an alpha of 1, and the
    // operators with a number (`x * 0.5`, `1 - x`) convert it.
    private static bool CreatesScalarInside(SemanticModel model, ExpressionSyntax node, INamedTypeSymbol tensor)
    {
        var method = node switch
        {
            BinaryExpressionSyntax or AssignmentExpressionSyntax or InvocationExpressionSyntax => model.GetSymbolInfo(node).Symbol as IMethodSymbol,
            _ => null,
        };
        if (method is null || !SymbolEqualityComparer.Default.Equals(method.ContainingType, tensor)) return false;
        bool tensorsOnly = method.Parameters.All(p => SymbolEqualityComparer.Default.Equals(p.Type, tensor));
        if (tensorsOnly) return method.Name is "op_Addition" or "add" or "add_";
        return method.MethodKind == MethodKind.UserDefinedOperator && method.Parameters.Any(p => IsNumber(p.Type));
    }

    private static bool IsNumber(ITypeSymbol type) => type.SpecialType is SpecialType.System_Double or SpecialType.System_Single
        or SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Int16 or SpecialType.System_Byte or SpecialType.System_Boolean;

    private static bool IsManagedAssembly(string path)
    {
        try
        {
            System.Reflection.AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}
