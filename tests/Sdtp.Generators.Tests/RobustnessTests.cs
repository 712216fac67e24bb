using Microsoft.CodeAnalysis;

namespace Sdtp.Generators.Tests;

/// <summary>Half-typed code never makes the generator or analyzer throw (which would show as CS8785 / AD0001).</summary>
public class RobustnessTests
{
    public static TheoryData<string> BrokenSources() =>
    [
        Sources.Model("[SdtpModel(NumLayers = )] [PruneAt(1, 0.5)]"),
        Sources.Model("[SdtpModel(NumLayers = \"eight\")] [PruneAt(1, 0.5)]"),
        Sources.Model("[SdtpModel(NumLayers = 4)] [PruneAt()]"),
        Sources.Model("[SdtpModel(NumLayers = 4)] [PruneAt(1)]"),
        Sources.Model("[SdtpModel(NumLayers = 4)] [PruneAt(\"one\", 0.5)]"),
        Sources.Model("[SdtpModel(NumLayers = 4)] [PruneAt(1, 0.5, 7)]"),
        Sources.Model("[SdtpModel(NumLayers = 4)] [GeometricSchedule(FirstLayer = 1, Stages = , Ratio = 0.9)]"),
        Sources.Model("[SdtpModel(NumLayers = 4)] [GeometricSchedule(Bogus = 3)]"),
        Sources.Model("[SdtpModel(NumLayers = 4)] [PruneAt(1, 0.5)] [AlwaysKeep(Initial = 1.5)]"),
        Sources.Model("[SdtpModel(NumLayers = int.MaxValue)] [GeometricSchedule(FirstLayer = 1, Every = 1000000, Stages = int.MaxValue, Ratio = 0.9)]"),
        Sources.Model("[SdtpModel(NumLayers = 4)] [PruneAt(1, double.NaN)]"),
        Sources.Model("[SdtpModel(NumLayers = 4)] [PruneAt(1, 0.5)]", baseType: " : UnknownBase"),
        Sources.Model("[SdtpModel(NumLayers = 4)] [PruneAt(1, 0.5)]", name: "Generic<T>"),
        Sources.Usings + "[SdtpModel(NumLayers = 4)] [PruneAt(1, 0.5)] public partial class Half : LlamaForCausalLM {",
        Sources.Usings + "[SdtpModel(NumLayers = 4)] [PruneAt(1, 0.5)] public partial class",
        Sources.Usings + "[SdtpModel(NumLayers = 4) public partial class Missing : LlamaForCausalLM { }",
        "[Sdtp.SdtpModel(NumLayers = 4)] partial class NoUsings : Sdtp.Modeling.LlamaForCausalLM { }",
    ];

    [Theory]
    [MemberData(nameof(BrokenSources))]
    public void Generator_and_analyzer_never_throw_on_incomplete_code(string source)
    {
        var (result, output, generatorDiagnostics) = GeneratorHarness.Run(source);
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        Assert.DoesNotContain(generatorDiagnostics, d => d.Id == "CS8785");
        var analyzerDiagnostics = GeneratorHarness.Analyze(source);
        Assert.DoesNotContain(analyzerDiagnostics, d => d.Id == "AD0001");
        // Whatever it generated must not add errors of its own to the user's.
        foreach (var tree in result.GeneratedTrees)
            Assert.DoesNotContain(output.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree == tree);
    }
}
