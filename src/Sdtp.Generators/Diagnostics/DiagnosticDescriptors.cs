using Microsoft.CodeAnalysis;

namespace Sdtp.Generators.Diagnostics;

/// <summary>Every diagnostic SdtpGen reports. Ids are a public contract: never renumber, only add.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "SdtpGen";
    private const string HelpRoot = "https://github.com/sdtpgen/sdtpgen/blob/main/docs/diagnostics/";

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpRoot + id + ".md");

    public static readonly DiagnosticDescriptor NotPartial = Error("SDTP001",
        "SDTP model class must be partial",
        "'{0}' must be declared partial so the SDTP generator can add its pruned forward{1}");

    public static readonly DiagnosticDescriptor KeepRatioOutOfRange = Error("SDTP002",
        "Keep ratio outside (0, 1]",
        "Keep ratio {0} is outside (0, 1]: a stage keeps a positive share of the tokens that reach it, at most all of them");

    public static readonly DiagnosticDescriptor LayerOutOfRange = Error("SDTP003",
        "Pruning layer outside the model",
        "Pruning layer {0} is outside [1, {1}] for a model with NumLayers = {2}");

    public static readonly DiagnosticDescriptor LayersNotIncreasing = Error("SDTP004",
        "Pruning layers not strictly increasing",
        "Pruning layer {0} must come after the previous stage's layer {1}: layers must be strictly increasing, without duplicates");

    public static readonly DiagnosticDescriptor BothScheduleForms = Error("SDTP005",
        "Both [GeometricSchedule] and [PruneAt]",
        "'{0}' declares both [GeometricSchedule] and [PruneAt]; use one form of schedule");

    public static readonly DiagnosticDescriptor NoSchedule = new("SDTP006",
        "SDTP model without a schedule",
        "'{0}' has [SdtpModel] but no [GeometricSchedule] or [PruneAt]; it will run dense",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpRoot + "SDTP006.md");

    public static readonly DiagnosticDescriptor AlwaysKeepOutOfRange = Error("SDTP007",
        "AlwaysKeep value out of range",
        "AlwaysKeep.{0} = {1} is out of range: {2}");

    public static readonly DiagnosticDescriptor WrongBaseType = Error("SDTP008",
        "SDTP model must derive from LlamaForCausalLM",
        "'{0}' must derive from Sdtp.Modeling.LlamaForCausalLM to have an SDTP forward generated");

    public static readonly DiagnosticDescriptor NumLayersInvalid = Error("SDTP009",
        "NumLayers must be at least 2",
        "[SdtpModel] NumLayers = {0}: a model needs at least 2 layers to prune between them; set NumLayers to the model's num_hidden_layers");

    public static readonly DiagnosticDescriptor GeometricPastLastLayer = Error("SDTP010",
        "Geometric schedule runs past the last layer",
        "GeometricSchedule(FirstLayer = {0}, Every = {1}, Stages = {2}) puts its last stage at layer {3}, past the last prunable layer {4}");

    public static readonly DiagnosticDescriptor GeometricInvalid = Error("SDTP011",
        "Geometric schedule parameter out of range",
        "GeometricSchedule.{0} = {1} is out of range: {2}");

    public static readonly DiagnosticDescriptor FileLocalModel = Error("SDTP012",
        "SDTP model class cannot be file-local",
        "'{0}' is a file-local ('file') class: its generated part would live in another file, which C# does not allow; drop the 'file' modifier (make it internal)");

    public static readonly DiagnosticDescriptor MemberNameTaken = Error("SDTP013",
        "Member name reserved for the generated code",
        "'{0}' declares a member named '{1}', which the SDTP generator adds to the class; rename it");

    public static readonly DiagnosticDescriptor ScheduleSplitAcrossDeclarations = Error("SDTP014",
        "[PruneAt] attributes on several partial declarations",
        "'{0}' has [PruneAt] attributes on {1} partial declarations; put them all on one, so the stage order does not depend on the order of files");

    public static readonly DiagnosticDescriptor TooManyLayers = Error("SDTP015",
        "Too many layers to unroll",
        "[SdtpModel] NumLayers = {0} is more than the {1} layers the generator unrolls; real LLaMA-family models have at most a few hundred");
}
