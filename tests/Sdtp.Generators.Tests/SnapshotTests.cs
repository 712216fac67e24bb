using Microsoft.CodeAnalysis;

namespace Sdtp.Generators.Tests;

public class SnapshotTests
{
    [Theory]
    [InlineData("Geometric")]
    [InlineData("Explicit")]
    [InlineData("SingleStage")]
    [InlineData("Nested")]
    public void Generated_source_matches_the_snapshot_and_compiles_cleanly(string name)
    {
        var source = name switch
        {
            "Geometric" => Sources.Geometric,
            "Explicit" => Sources.Explicit,
            "SingleStage" => Sources.SingleStage,
            _ => Sources.Nested,
        };
        var (result, output, generatorDiagnostics) = GeneratorHarness.Run(source);
        Assert.Empty(generatorDiagnostics);
        var generated = Assert.Single(result.GeneratedTrees);
        Snapshot.Match(name, generated.ToString());

        var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Hint_name_is_the_fully_qualified_metadata_name()
    {
        var (result, _, _) = GeneratorHarness.Run(Sources.Nested);
        Assert.EndsWith("Company.Models.Serving.Registry+Outer+NestedLlama.g.cs", Assert.Single(result.GeneratedTrees).FilePath);
    }

    [Fact]
    public void Numbers_are_written_in_the_invariant_culture_whatever_the_current_one()
    {
        var saved = Thread.CurrentThread.CurrentCulture;
        try
        {
            Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            var (result, output, _) = GeneratorHarness.Run(Sources.Geometric);
            var text = Assert.Single(result.GeneratedTrees).ToString();
            Assert.Contains("KeepRatios { get; } = new double[] { 0.9, 0.9,", text);
            Assert.DoesNotContain("0,9", text);
            Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = saved;
        }
    }
}
