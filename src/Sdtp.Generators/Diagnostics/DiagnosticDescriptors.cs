using Microsoft.CodeAnalysis;
using Sdtp.Pruning;

namespace Sdtp.Generators.Diagnostics;

/// <summary>Every diagnostic SdtpGen reports. Ids are a public contract: never renumber, only add.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "SdtpGen";
    private const string HelpRoot = "https://github.com/sdtpgen/sdtpgen/blob/main/docs/diagnostics/";

    /// <summary>The descriptor of a schedule rule's id (<see cref="ScheduleRules"/>).</summary>
    public static DiagnosticDescriptor ForRule(string id) => id switch
    {
        "SDTP002" => KeepRatioOutOfRange,
        "SDTP003" => LayerOutOfRange,
        "SDTP004" => LayersNotIncreasing,
        "SDTP007" => AlwaysKeepOutOfRange,
        "SDTP009" => NumLayersInvalid,
        "SDTP010" => GeometricPastLastLayer,
        "SDTP011" => GeometricInvalid,
        "SDTP015" => TooManyLayers,
        _ => throw new System.ArgumentException("no descriptor for schedule rule " + id, nameof(id)),
    };

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpRoot + id + ".md");

    public static readonly DiagnosticDescriptor NotPartial = Error("SDTP001",
        "SDTP model class must be partial",
        "'{0}' must be declared partial so the SDTP generator can add its pruned forward{1}");

    public static readonly DiagnosticDescriptor KeepRatioOutOfRange = Error("SDTP002",
        "Keep ratio outside (0, 1]",
        ScheduleRules.MessageFormat("SDTP002"));

    public static readonly DiagnosticDescriptor LayerOutOfRange = Error("SDTP003",
        "Pruning layer outside the model",
        ScheduleRules.MessageFormat("SDTP003"));

    public static readonly DiagnosticDescriptor LayersNotIncreasing = Error("SDTP004",
        "Pruning layers not strictly increasing",
        ScheduleRules.MessageFormat("SDTP004"));

    public static readonly DiagnosticDescriptor BothScheduleForms = Error("SDTP005",
        "Both [GeometricSchedule] and [PruneAt]",
        "'{0}' declares both [GeometricSchedule] and [PruneAt]; use one form of schedule");

    public static readonly DiagnosticDescriptor NoSchedule = new("SDTP006",
        "SDTP model without a schedule",
        "'{0}' has [SdtpModel] but no [GeometricSchedule] or [PruneAt]; it will run dense",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpRoot + "SDTP006.md");

    public static readonly DiagnosticDescriptor AlwaysKeepOutOfRange = Error("SDTP007",
        "AlwaysKeep value out of range",
        ScheduleRules.MessageFormat("SDTP007"));

    public static readonly DiagnosticDescriptor WrongBaseType = Error("SDTP008",
        "SDTP model must derive from LlamaForCausalLM",
        "'{0}' must derive from Sdtp.Modeling.LlamaForCausalLM to have an SDTP forward generated");

    public static readonly DiagnosticDescriptor NumLayersInvalid = Error("SDTP009",
        "NumLayers must be at least 2",
        ScheduleRules.MessageFormat("SDTP009"));

    public static readonly DiagnosticDescriptor GeometricPastLastLayer = Error("SDTP010",
        "Geometric schedule runs past the last layer",
        ScheduleRules.MessageFormat("SDTP010"));

    public static readonly DiagnosticDescriptor GeometricInvalid = Error("SDTP011",
        "Geometric schedule parameter out of range",
        ScheduleRules.MessageFormat("SDTP011"));

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
        ScheduleRules.MessageFormat("SDTP015"));
}
