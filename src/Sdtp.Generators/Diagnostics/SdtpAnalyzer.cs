using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Sdtp.Generators.Parsing;

namespace Sdtp.Generators.Diagnostics;

/// <summary>
/// Reports every rule an <c>[SdtpModel]</c> class breaks. Validation lives here, not in the generator (the Roslyn
/// team's advice): the generator silently skips invalid classes using the same <see cref="ScheduleReader"/>.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SdtpAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.NotPartial,
        DiagnosticDescriptors.KeepRatioOutOfRange,
        DiagnosticDescriptors.LayerOutOfRange,
        DiagnosticDescriptors.LayersNotIncreasing,
        DiagnosticDescriptors.BothScheduleForms,
        DiagnosticDescriptors.NoSchedule,
        DiagnosticDescriptors.AlwaysKeepOutOfRange,
        DiagnosticDescriptors.WrongBaseType,
        DiagnosticDescriptors.NumLayersInvalid,
        DiagnosticDescriptors.GeometricPastLastLayer,
        DiagnosticDescriptors.GeometricInvalid,
        DiagnosticDescriptors.FileLocalModel,
        DiagnosticDescriptors.MemberNameTaken,
        DiagnosticDescriptors.ScheduleSplitAcrossDeclarations,
        DiagnosticDescriptors.TooManyLayers);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            // Nothing to check in a compilation that cannot see the attribute.
            if (start.Compilation.GetTypeByMetadataName(ScheduleReader.SdtpModelAttribute) is null) return;
            start.RegisterSymbolAction(Analyze, SymbolKind.NamedType);
        });
    }

    private static void Analyze(SymbolAnalysisContext context)
    {
        if (context.Symbol is not INamedTypeSymbol type) return;
        var (_, problems) = ScheduleReader.Read(type, context.CancellationToken);
        foreach (var problem in problems) context.ReportDiagnostic(problem.ToDiagnostic());
    }
}
