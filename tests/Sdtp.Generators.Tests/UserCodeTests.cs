using Microsoft.CodeAnalysis;

namespace Sdtp.Generators.Tests;

/// <summary>
/// Code a user may write around an <c>[SdtpModel]</c> class: either the generated part compiles cleanly with it (no
/// error and no warning of its own), or the analyzer reports a documented SDTP diagnostic and nothing is generated.
/// </summary>
public class UserCodeTests
{
    /// <summary>Runs the generator; fails on a generator exception; returns the diagnostics located in generated files.</summary>
    private static (int Generated, List<Diagnostic> InGenerated, List<Diagnostic> All) Generate(params string[] sources)
    {
        var (result, output, generatorDiagnostics) = GeneratorHarness.Run(sources);
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        Assert.DoesNotContain(generatorDiagnostics, d => d.Id == "CS8785");
        var all = output.GetDiagnostics().ToList();
        var inGenerated = all.Where(d => d.Location.SourceTree is { } tree && result.GeneratedTrees.Contains(tree)).ToList();
        return (result.GeneratedTrees.Length, inGenerated, all);
    }

    private static List<string> Analyze(params string[] sources) => GeneratorHarness.Analyze(sources).Select(d => d.Id).ToList();

    [Fact]
    public void SdtpModel_on_two_partial_declarations_generates_once()
    {
        var second = Sources.Usings + "namespace Samples { [SdtpModel(NumLayers = 4)] public sealed partial class TinyLlama { } }";
        var (generated, inGenerated, all) = Generate(Sources.Model("[SdtpModel(NumLayers = 4)] [PruneAt(1, 0.5)]"), second);
        Assert.Equal(1, generated);
        Assert.Empty(inGenerated);
        Assert.Contains(all, d => d.Id == "CS0579"); // the compiler's own "duplicate attribute", on the user's code
    }

    [Fact]
    public void A_class_named_with_a_keyword_compiles()
    {
        var source = Sources.Usings + """
            namespace @event.@class
            {
                [SdtpModel(NumLayers = 4)] [PruneAt(1, 0.5)]
                public sealed partial class @class : LlamaForCausalLM { public @class(ModelConfig c) : base(c, torch.CPU) { } }
            }
            """;
        var (generated, inGenerated, all) = Generate(source);
        Assert.Equal(1, generated);
        Assert.Empty(inGenerated);
        Assert.DoesNotContain(all, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void A_model_deriving_from_another_model_compiles_without_warnings()
    {
        var source = Sources.Usings + """
            namespace Samples
            {
                [SdtpModel(NumLayers = 4)] [PruneAt(1, 0.5)]
                public partial class BaseLlama : LlamaForCausalLM { public BaseLlama(ModelConfig c) : base(c, torch.CPU) { } }

                [SdtpModel(NumLayers = 4)] [PruneAt(2, 0.7)]
                public sealed partial class DerivedLlama : BaseLlama { public DerivedLlama(ModelConfig c) : base(c) { } }
            }
            """;
        var (generated, inGenerated, _) = Generate(source);
        Assert.Equal(2, generated);
        Assert.Empty(inGenerated); // CS0108 (hides inherited member) before: errors under warnings-as-errors
        Assert.Empty(Analyze(source));
    }

    [Fact]
    public void SDTP012_a_file_local_class_is_reported_and_not_generated()
    {
        var source = Sources.Model("[SdtpModel(NumLayers = 4)] [PruneAt(1, 0.5)]", modifiers: "file sealed partial");
        Assert.Equal(["SDTP012"], Analyze(source));
        Assert.Equal(0, Generate(source).Generated);
    }

    [Theory]
    [InlineData("private int sdtpHeads;", "sdtpHeads")]
    [InlineData("public void SdtpPrefill() { }", "SdtpPrefill")]
    [InlineData("private static int SdtpHeadLogits0;", "SdtpHeadLogits0")]
    [InlineData("public class SdtpPlan { }", "SdtpPlan")]
    public void SDTP013_a_member_named_like_a_generated_one_is_reported(string member, string name)
    {
        var source = Sources.Usings + $$"""
            namespace Samples
            {
                [SdtpModel(NumLayers = 4)] [PruneAt(1, 0.5)]
                public sealed partial class TinyLlama : LlamaForCausalLM
                {
                    public TinyLlama(ModelConfig c) : base(c, torch.CPU) { }
                    {{member}}
                }
            }
            """;
        var d = Assert.Single(GeneratorHarness.Analyze(source));
        Assert.Equal("SDTP013", d.Id);
        Assert.Contains($"declares a member named '{name}'", d.GetMessage());
        Assert.Equal(0, Generate(source).Generated);
    }

    [Fact]
    public void SDTP014_prune_at_split_over_partial_files_is_reported_whatever_the_file_order()
    {
        var first = Sources.Model("[SdtpModel(NumLayers = 8)] [PruneAt(2, 0.5)]");
        var second = Sources.Usings + "namespace Samples { [PruneAt(4, 0.5)] public sealed partial class TinyLlama { } }";
        Assert.Equal(["SDTP014"], Analyze(first, second));
        Assert.Equal(["SDTP014"], Analyze(second, first));
        Assert.Equal(0, Generate(first, second).Generated);
    }

    [Theory]
    [InlineData("[SdtpModel(NumLayers = 5000)] [PruneAt(1, 0.5)]")]
    [InlineData("[SdtpModel(NumLayers = 20000)] [GeometricSchedule(FirstLayer = 1, Every = 1, Stages = 15000, Ratio = 0.99)]")]
    public void SDTP015_more_layers_than_the_generator_unrolls(string attributes)
    {
        var source = Sources.Model(attributes);
        var d = Assert.Single(GeneratorHarness.Analyze(source));
        Assert.Equal("SDTP015", d.Id);
        Assert.Contains("more than the 1000 layers the generator unrolls", d.GetMessage());
        Assert.Equal(0, Generate(source).Generated);
    }

    [Fact]
    public void The_largest_unrolled_schedule_generates_every_stage()
    {
        var source = Sources.Model("[SdtpModel(NumLayers = 1000)] [GeometricSchedule(FirstLayer = 1, Every = 1, Stages = 999, Ratio = 0.999)]");
        var (result, output, _) = GeneratorHarness.Run(source);
        var text = Assert.Single(result.GeneratedTrees).ToString();
        Assert.Contains("public const int StageCount = 999;", text);
        Assert.DoesNotContain(output.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
    }
}
