using Microsoft.CodeAnalysis;

namespace Sdtp.Generators.Tests;

/// <summary>Every diagnostic fires on its case, at the argument at fault, and valid code gets none.</summary>
public class DiagnosticTests
{
    /// <summary>Runs the analyzer; returns (id, the source text the diagnostic points at, message).</summary>
    private static List<(string Id, string At, string Message)> Diagnose(string source) =>
        GeneratorHarness.Analyze(source)
            .Select(d => (d.Id, d.Location.SourceTree!.ToString().Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length), d.GetMessage()))
            .ToList();

    private static (string Id, string At, string Message) Single(string attributes, string name = "TinyLlama", string modifiers = "public sealed partial", string baseType = " : LlamaForCausalLM") =>
        Assert.Single(Diagnose(Sources.Model(attributes, name, modifiers, baseType)));

    [Theory]
    [InlineData("Geometric")]
    [InlineData("Explicit")]
    [InlineData("SingleStage")]
    [InlineData("Nested")]
    public void Valid_models_get_no_diagnostic(string name)
    {
        var source = name switch { "Geometric" => Sources.Geometric, "Explicit" => Sources.Explicit, "SingleStage" => Sources.SingleStage, _ => Sources.Nested };
        Assert.Empty(Diagnose(source));
    }

    [Fact]
    public void SDTP001_class_not_partial()
    {
        var d = Single("[SdtpModel(NumLayers = 4)] [PruneAt(1, 0.5)]", modifiers: "public sealed");
        Assert.Equal(("SDTP001", "TinyLlama"), (d.Id, d.At));
        Assert.Contains("'TinyLlama' must be declared partial", d.Message);
    }

    [Fact]
    public void SDTP001_containing_type_not_partial()
    {
        var source = Sources.Usings + """
            public class Holder
            {
                [SdtpModel(NumLayers = 4)] [PruneAt(1, 0.5)]
                public partial class Inner : LlamaForCausalLM { public Inner(ModelConfig c) : base(c) { } }
            }
            """;
        var d = Assert.Single(Diagnose(source));
        Assert.Equal(("SDTP001", "Inner"), (d.Id, d.At));
        Assert.Contains("its containing type 'Holder' must be partial too", d.Message);
    }

    [Theory]
    [InlineData("[PruneAt(1, 1.5)]", "1.5")]
    [InlineData("[PruneAt(1, 0)]", "0")]
    [InlineData("[PruneAt(1, -0.25)]", "-0.25")]
    public void SDTP002_keep_ratio_on_the_keep_argument(string pruneAt, string at)
    {
        var d = Single($"[SdtpModel(NumLayers = 4)] {pruneAt}");
        Assert.Equal(("SDTP002", at), (d.Id, d.At));
        Assert.Contains($"Keep ratio {at} is outside (0, 1]", d.Message);
    }

    [Fact]
    public void SDTP002_geometric_ratio_on_the_ratio_argument()
    {
        var d = Single("[SdtpModel(NumLayers = 8)] [GeometricSchedule(FirstLayer = 2, Stages = 3, Ratio = 1.2)]");
        Assert.Equal(("SDTP002", "Ratio = 1.2"), (d.Id, d.At));
    }

    [Theory]
    [InlineData("[PruneAt(0, 0.5)]", "0", "Pruning layer 0 is outside [1, 3] for a model with NumLayers = 4")]
    [InlineData("[PruneAt(4, 0.5)]", "4", "Pruning layer 4 is outside [1, 3]")]
    public void SDTP003_layer_outside_the_model_on_the_layer_argument(string pruneAt, string at, string message)
    {
        var d = Single($"[SdtpModel(NumLayers = 4)] {pruneAt}");
        Assert.Equal(("SDTP003", at), (d.Id, d.At));
        Assert.Contains(message, d.Message);
    }

    [Fact]
    public void SDTP003_geometric_first_layer()
    {
        var d = Single("[SdtpModel(NumLayers = 8)] [GeometricSchedule(FirstLayer = 0, Stages = 3, Ratio = 0.9)]");
        Assert.Equal(("SDTP003", "FirstLayer = 0"), (d.Id, d.At));
    }

    [Theory]
    [InlineData("[PruneAt(2, 0.5)] [PruneAt(2, 0.5)]", "Pruning layer 2 must come after the previous stage's layer 2")]
    [InlineData("[PruneAt(3, 0.5)] [PruneAt(1, 0.5)]", "Pruning layer 1 must come after the previous stage's layer 3")]
    public void SDTP004_layers_not_strictly_increasing_on_the_later_stage(string pruneAts, string message)
    {
        var source = Sources.Model($"[SdtpModel(NumLayers = 6)] {pruneAts}");
        var d = Assert.Single(GeneratorHarness.Analyze(source));
        Assert.Equal("SDTP004", d.Id);
        Assert.Contains(message, d.GetMessage());
        // On the later stage's layer argument: the first argument of the last [PruneAt], not of the first.
        int laterLayer = source.LastIndexOf("PruneAt(", StringComparison.Ordinal) + "PruneAt(".Length;
        Assert.Equal(laterLayer, d.Location.SourceSpan.Start);
    }

    [Fact]
    public void SDTP005_both_schedule_forms_on_the_geometric_attribute()
    {
        var d = Single("[SdtpModel(NumLayers = 8)] [GeometricSchedule(FirstLayer = 2, Stages = 2, Ratio = 0.9)] [PruneAt(3, 0.5)]");
        Assert.Equal(("SDTP005", "GeometricSchedule(FirstLayer = 2, Stages = 2, Ratio = 0.9)"), (d.Id, d.At));
    }

    [Fact]
    public void SDTP006_no_schedule_is_a_warning_and_the_model_still_generates()
    {
        var source = Sources.Model("[SdtpModel(NumLayers = 4)]");
        var d = Assert.Single(GeneratorHarness.Analyze(source));
        Assert.Equal(("SDTP006", DiagnosticSeverity.Warning), (d.Id, d.Severity));
        var (result, output, _) = GeneratorHarness.Run(source);
        Assert.Single(result.GeneratedTrees);
        Assert.Empty(output.GetDiagnostics().Where(x => x.Severity >= DiagnosticSeverity.Warning));
    }

    [Theory]
    [InlineData("[AlwaysKeep(Initial = -1)]", "Initial = -1", "AlwaysKeep.Initial = -1 is out of range: must be at least 0")]
    [InlineData("[AlwaysKeep(RecentFraction = 1.0)]", "RecentFraction = 1.0", "AlwaysKeep.RecentFraction = 1 is out of range: must be in [0, 1)")]
    [InlineData("[AlwaysKeep(RecentFraction = -0.1)]", "RecentFraction = -0.1", "AlwaysKeep.RecentFraction = -0.1 is out of range")]
    public void SDTP007_always_keep_on_the_named_argument(string alwaysKeep, string at, string message)
    {
        var d = Single($"[SdtpModel(NumLayers = 4)] [PruneAt(1, 0.5)] {alwaysKeep}");
        Assert.Equal(("SDTP007", at), (d.Id, d.At));
        Assert.Contains(message, d.Message);
    }

    [Fact]
    public void SDTP008_wrong_base_type_on_the_class_name()
    {
        var source = Sources.Usings + """
            [SdtpModel(NumLayers = 4)] [PruneAt(1, 0.5)]
            public partial class NotAModel { }
            """;
        var d = Assert.Single(Diagnose(source));
        Assert.Equal(("SDTP008", "NotAModel"), (d.Id, d.At));
    }

    [Theory]
    [InlineData("[SdtpModel(NumLayers = 0)]", "NumLayers = 0")]
    [InlineData("[SdtpModel(NumLayers = 1)]", "NumLayers = 1")]
    [InlineData("[SdtpModel]", "SdtpModel")]
    public void SDTP009_num_layers(string model, string at)
    {
        var d = Single($"{model} [PruneAt(1, 0.5)]");
        Assert.Equal(("SDTP009", at), (d.Id, d.At));
    }

    [Fact]
    public void SDTP010_geometric_schedule_past_the_last_layer_on_stages()
    {
        var d = Single("[SdtpModel(NumLayers = 12)] [GeometricSchedule(FirstLayer = 4, Every = 3, Stages = 10, Ratio = 0.9)]");
        Assert.Equal(("SDTP010", "Stages = 10"), (d.Id, d.At));
        Assert.Contains("puts its last stage at layer 31, past the last prunable layer 11", d.Message);
    }

    [Theory]
    [InlineData("Stages = 0", "[GeometricSchedule(FirstLayer = 1, Stages = 0, Ratio = 0.9)]")]
    [InlineData("Every = 0", "[GeometricSchedule(FirstLayer = 1, Every = 0, Stages = 2, Ratio = 0.9)]")]
    public void SDTP011_geometric_parameters(string at, string geometric)
    {
        var d = Single($"[SdtpModel(NumLayers = 8)] {geometric}");
        Assert.Equal(("SDTP011", at), (d.Id, d.At));
    }

    [Fact]
    public void Invalid_models_generate_nothing()
    {
        var (result, _, diagnostics) = GeneratorHarness.Run(Sources.Model("[SdtpModel(NumLayers = 4)] [PruneAt(1, 1.5)]"));
        Assert.Empty(result.GeneratedTrees);
        Assert.Empty(diagnostics); // the generator stays silent; the analyzer reports
    }

    [Fact]
    public void Every_descriptor_has_a_help_page_and_a_release_entry()
    {
        var analyzer = new Sdtp.Generators.Diagnostics.SdtpAnalyzer();
        var root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
        var releases = File.ReadAllText(Path.Combine(root, "src/Sdtp.Generators/AnalyzerReleases.Unshipped.md"))
            + File.ReadAllText(Path.Combine(root, "src/Sdtp.Generators/AnalyzerReleases.Shipped.md"));
        foreach (var descriptor in analyzer.SupportedDiagnostics)
        {
            Assert.EndsWith($"docs/diagnostics/{descriptor.Id}.md", descriptor.HelpLinkUri);
            Assert.True(File.Exists(Path.Combine(root, "docs/diagnostics", descriptor.Id + ".md")), $"docs/diagnostics/{descriptor.Id}.md is missing");
            Assert.Contains(descriptor.Id + " |", releases);
        }
    }

    [Theory]
    [InlineData("[PruneAt(0, 0.5)]", "0:0.5")]
    [InlineData("[PruneAt(2, 1.5)]", "2:1.5")]
    [InlineData("[PruneAt(3, 0.5)] [PruneAt(2, 0.5)]", "3:0.5,2:0.5")]
    [InlineData("[GeometricSchedule(FirstLayer = 2, Every = 2, Stages = 3, Ratio = 0.9)]", "geometric:first=2,every=2,stages=3,ratio=0.9")]
    [InlineData("[GeometricSchedule(FirstLayer = 2, Every = 0, Stages = 3, Ratio = 0.9)]", "geometric:first=2,every=0,stages=3,ratio=0.9")]
    [InlineData("[GeometricSchedule(FirstLayer = 2, Stages = 0, Ratio = 0.9)]", "geometric:first=2,stages=0,ratio=0.9")]
    [InlineData("[PruneAt(2, 0.5)] [AlwaysKeep(Initial = -1)]", "2:0.5;initial=-1")]
    [InlineData("[PruneAt(2, 0.5)] [AlwaysKeep(RecentFraction = 1.0)]", "2:0.5;recent=1")]
    public void A_schedule_on_the_command_line_breaks_the_analyzers_rule_with_its_words(string attributes, string syntax)
    {
        var d = Single("[SdtpModel(NumLayers = 6)] " + attributes);
        var runtime = Assert.Throws<Sdtp.Pruning.PruningScheduleException>(() => Sdtp.Pruning.PruningScheduleSyntax.Parse(syntax, 6));
        Assert.EndsWith($"{d.Message} ({d.Id})", runtime.Message);
    }
}
