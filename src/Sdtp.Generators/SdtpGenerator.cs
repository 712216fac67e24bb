using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Sdtp.Generators.Emit;
using Sdtp.Generators.Parsing;

namespace Sdtp.Generators;

/// <summary>
/// The incremental pipeline: find <c>[SdtpModel]</c> classes -> read each into an equatable model (null when
/// invalid: the analyzer reports why) -> emit its specialized partial class.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class SdtpGenerator : IIncrementalGenerator
{
    /// <summary>Tracking name of the step that builds the models (incrementality tests look it up).</summary>
    public const string ModelsStep = "SdtpModels";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var models = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                ScheduleReader.SdtpModelAttribute,
                predicate: static (node, _) => node is ClassDeclarationSyntax,
                transform: static (ctx, cancellation) => ScheduleReader.ReadForGeneration((INamedTypeSymbol)ctx.TargetSymbol, ctx.TargetNode, cancellation))
            .Where(static model => model is not null)
            .WithTrackingName(ModelsStep);

        context.RegisterSourceOutput(models, static (output, model) =>
        {
            output.CancellationToken.ThrowIfCancellationRequested();
            output.AddSource(model!.HintName, SdtpEmitter.Emit(model));
        });
    }
}
