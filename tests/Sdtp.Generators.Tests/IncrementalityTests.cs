using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Sdtp.Generators.Tests;

/// <summary>The pipeline caches: edits that do not touch a model leave its steps Cached or Unchanged, and no step holds Roslyn objects.</summary>
public class IncrementalityTests
{
    private const string Unrelated = "namespace Samples { public static class Helper { public static int Twice(int x) => 2 * x; } }";

    private static GeneratorDriverRunResult RunTwice(Func<Compilation, Compilation> edit)
    {
        var compilation = GeneratorHarness.Compile(Sources.Geometric, Unrelated);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        return driver.RunGenerators(edit(compilation)).GetRunResult();
    }

    private static void AssertAllCachedOrUnchanged(GeneratorDriverRunResult result)
    {
        // Roslyn's own input steps (the compilation, the syntax trees) always change with an edit; what must not
        // change is the generator's model step and the source output built from it.
        var steps = result.Results.Single().TrackedSteps;
        Assert.True(steps.TryGetValue(SdtpGenerator.ModelsStep, out var runs), "the tracked step is missing");
        foreach (var run in runs)
            foreach (var (_, reason) in run.Outputs)
                Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"step {SdtpGenerator.ModelsStep} was {reason}");
        foreach (var (_, reason) in result.Results.Single().TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(r => r.Outputs))
            Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"output step was {reason}");
    }

    [Fact]
    public void Adding_a_comment_to_the_model_file_leaves_every_step_cached()
    {
        var result = RunTwice(c =>
        {
            var tree = c.SyntaxTrees.First();
            var edited = tree.WithChangedText(tree.GetText().WithChanges(new Microsoft.CodeAnalysis.Text.TextChange(new(0, 0), "// a comment\n")));
            return c.ReplaceSyntaxTree(tree, edited);
        });
        AssertAllCachedOrUnchanged(result);
    }

    [Fact]
    public void Editing_an_unrelated_file_leaves_every_step_cached()
    {
        var result = RunTwice(c =>
        {
            var tree = c.SyntaxTrees.Last();
            return c.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(Unrelated.Replace("2 * x", "x + x"), GeneratorHarness.ParseOptions));
        });
        AssertAllCachedOrUnchanged(result);
    }

    [Fact]
    public void Changing_the_schedule_regenerates()
    {
        var result = RunTwice(c =>
        {
            var tree = c.SyntaxTrees.First();
            return c.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(Sources.Geometric.Replace("Ratio = 0.9", "Ratio = 0.8"), GeneratorHarness.ParseOptions));
        });
        var reasons = result.Results.Single().TrackedSteps[SdtpGenerator.ModelsStep].SelectMany(r => r.Outputs).Select(o => o.Reason);
        Assert.Contains(IncrementalStepRunReason.Modified, reasons);
    }

    [Fact]
    public void No_step_output_holds_a_symbol_syntax_node_location_or_compilation()
    {
        var compilation = GeneratorHarness.Compile(Sources.Geometric, Sources.Nested);
        var result = GeneratorHarness.Driver().RunGenerators(compilation).GetRunResult();
        var outputs = result.Results.Single().TrackedSteps[SdtpGenerator.ModelsStep].SelectMany(r => r.Outputs).Select(o => o.Value).ToList();
        Assert.Equal(2, outputs.Count);
        foreach (var output in outputs) Walk(output, "model", new HashSet<object>(ReferenceEqualityComparer.Instance));
    }

    private static void Walk(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value is decimal || value is Enum) return;
        Assert.False(value is ISymbol or SyntaxNode or SyntaxTree or Location or Compilation or SemanticModel,
            $"{path} holds a {value.GetType().Name}, which defeats caching and keeps compilations alive");
        if (!value.GetType().IsValueType && !seen.Add(value)) return;
        if (value is IEnumerable items)
        {
            int i = 0;
            foreach (var item in items) Walk(item, $"{path}[{i++}]", seen);
        }
        foreach (var field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            Walk(field.GetValue(value), $"{path}.{field.Name}", seen);
    }
}
