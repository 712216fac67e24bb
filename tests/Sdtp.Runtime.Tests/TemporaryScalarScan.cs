using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Sdtp.Runtime.Tests;

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
