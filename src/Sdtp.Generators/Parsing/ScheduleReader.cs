using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Sdtp.Generators.Diagnostics;
using Sdtp.Generators.Models;
using Sdtp.Pruning;

namespace Sdtp.Generators.Parsing;

/// <summary>A rule broken by an <c>[SdtpModel]</c> class, with where to report it.</summary>
internal sealed class ScheduleProblem(DiagnosticDescriptor descriptor, Location? location, params object[] arguments)
{
    public DiagnosticDescriptor Descriptor { get; } = descriptor;
    public Location? Location { get; } = location;
    public object[] Arguments { get; } = arguments;

    public Diagnostic ToDiagnostic() => Diagnostic.Create(Descriptor, Location, Arguments);
}

/// <summary>
/// Reads and validates the SDTP attributes of a class. The analyzer reports the problems; the generator only asks
/// whether there are errors and skips such classes, so the two can never disagree about what is valid.
/// </summary>
internal static class ScheduleReader
{
    public const string SdtpModelAttribute = "Sdtp.SdtpModelAttribute";
    public const string PruneAtAttribute = "Sdtp.PruneAtAttribute";
    public const string GeometricScheduleAttribute = "Sdtp.GeometricScheduleAttribute";
    public const string AlwaysKeepAttribute = "Sdtp.AlwaysKeepAttribute";
    public const string BaseType = "Sdtp.Modeling.LlamaForCausalLM";

    /// <summary>Most decoder layers the generator unrolls (each forward is one statement per layer).</summary>
    public const int MaxLayers = ScheduleRules.MaxLayers;

    /// <summary>Every member the generator adds to a model class: a user member of one of these names would clash.</summary>
    public static readonly string[] GeneratedMemberNames =
    [
        "SdtpPlan", "sdtpHeads", "SdtpSchedule", "SdtpHeads", "LoadSdtpHeads", "UseSdtpHeads", "SdtpPrefill", "SdtpKeepScore",
        "SdtpTrainingForward", "SdtpMarkingForward", "SdtpCheckLayers",
    ];

    /// <summary>Whether <paramref name="name"/> is one of the per-stage head methods (<c>SdtpHeadLogits0</c>, ...).</summary>
    private static bool IsGeneratedHeadMethod(string name) =>
        name.StartsWith("SdtpHeadLogits", System.StringComparison.Ordinal) && name.Length > "SdtpHeadLogits".Length
        && name.Substring("SdtpHeadLogits".Length).All(char.IsDigit);

    /// <summary>
    /// The model of a valid class, or null when any error-level rule is broken (or the code is incomplete). A class
    /// whose attribute sits on several partial declarations is read once, for the first of them.
    /// </summary>
    public static SdtpModelInfo? ReadForGeneration(INamedTypeSymbol type, SyntaxNode declaration, CancellationToken cancellation)
    {
        var annotated = type.GetAttributes().Where(a => Is(a, SdtpModelAttribute)).Select(a => DeclarationOf(a, cancellation)).ToList();
        var first = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellation)).FirstOrDefault(annotated.Contains);
        if (first is not null && first != declaration) return null;
        var (model, problems) = Read(type, cancellation);
        return problems.Any(p => p.Descriptor.DefaultSeverity == DiagnosticSeverity.Error) ? null : model;
    }

    /// <summary>The class's model (null when it cannot be built) and every rule it breaks.</summary>
    public static (SdtpModelInfo? Model, List<ScheduleProblem> Problems) Read(INamedTypeSymbol type, CancellationToken cancellation)
    {
        var problems = new List<ScheduleProblem>();
        var attributes = type.GetAttributes();
        var modelAttribute = attributes.FirstOrDefault(a => Is(a, SdtpModelAttribute));
        if (modelAttribute is null) return (null, problems);
        bool complete = true; // false when the code does not compile yet: skip quietly, the compiler reports it

        CheckPartial(type, problems, cancellation);
        if (type.IsFileLocal)
            problems.Add(new(DiagnosticDescriptors.FileLocalModel, IdentifierLocation(type, cancellation), type.Name));
        if (!DerivesFrom(type, BaseType))
            problems.Add(new(DiagnosticDescriptors.WrongBaseType, IdentifierLocation(type, cancellation), type.Name));
        foreach (var member in type.GetMembers())
            if (!member.IsImplicitlyDeclared && member.Locations.Any(l => l.IsInSource && !IsGenerated(l))
                && (GeneratedMemberNames.Contains(member.Name) || IsGeneratedHeadMethod(member.Name)))
                problems.Add(new(DiagnosticDescriptors.MemberNameTaken, member.Locations.First(l => l.IsInSource), type.Name, member.Name));

        int numLayers = 0;
        if (!TryNamed(modelAttribute, "NumLayers", 0, out numLayers)) complete = false;
        var layerCount = ScheduleRules.LayerCount(numLayers);
        bool layersKnown = layerCount is null;
        if (complete && layerCount is not null)
            problems.Add(Problem(layerCount, NamedLocation(modelAttribute, "NumLayers", cancellation)));

        cancellation.ThrowIfCancellationRequested();
        var pruneAts = attributes.Where(a => Is(a, PruneAtAttribute)).ToList();
        var geometric = attributes.FirstOrDefault(a => Is(a, GeometricScheduleAttribute));
        var stages = new List<StageInfo>();
        if (geometric is not null && pruneAts.Count > 0)
            problems.Add(new(DiagnosticDescriptors.BothScheduleForms, AttributeLocation(geometric, cancellation), type.Name));
        else if (geometric is not null)
            complete &= ReadGeometric(geometric, numLayers, layersKnown, stages, problems, cancellation);
        else if (pruneAts.Count > 0)
        {
            int declarations = pruneAts.Select(a => DeclarationOf(a, cancellation)).Distinct().Count();
            if (declarations > 1)
                problems.Add(new(DiagnosticDescriptors.ScheduleSplitAcrossDeclarations, AttributeLocation(pruneAts[pruneAts.Count - 1], cancellation), type.Name, Format(declarations)));
            else
                complete &= ReadPruneAts(pruneAts, numLayers, layersKnown, stages, problems, cancellation);
        }
        else
            problems.Add(new(DiagnosticDescriptors.NoSchedule, AttributeLocation(modelAttribute, cancellation), type.Name));

        int initial = 4;
        double recent = 0.1;
        var alwaysKeep = attributes.FirstOrDefault(a => Is(a, AlwaysKeepAttribute));
        if (alwaysKeep is not null)
        {
            complete &= TryNamed(alwaysKeep, "Initial", 4, out initial) & TryNamed(alwaysKeep, "RecentFraction", 0.1, out recent);
            if (ScheduleRules.AlwaysKeepInitial(initial) is { } badInitial)
                problems.Add(Problem(badInitial, NamedLocation(alwaysKeep, "Initial", cancellation)));
            if (ScheduleRules.AlwaysKeepRecent(recent) is { } badRecent)
                problems.Add(Problem(badRecent, NamedLocation(alwaysKeep, "RecentFraction", cancellation)));
        }

        if (!complete) return (null, problems);
        var model = new SdtpModelInfo(
            type.ContainingNamespace.IsGlobalNamespace ? "" : string.Join(".", NamespaceParts(type.ContainingNamespace).Select(Identifier)),
            EquatableArray.From(ContainingTypes(type)),
            Identifier(type.Name),
            NameWithTypeParameters(type),
            MetadataName(type),
            numLayers,
            EquatableArray.From(stages),
            initial,
            recent,
            HidesInherited: BaseIsSdtpModel(type));
        return (model, problems);
    }

    private static bool ReadPruneAts(List<AttributeData> pruneAts, int numLayers, bool layersKnown, List<StageInfo> stages, List<ScheduleProblem> problems,
        CancellationToken cancellation)
    {
        foreach (var attribute in pruneAts)
        {
            var args = attribute.ConstructorArguments;
            if (args.Length != 2 || args[0].Kind == TypedConstantKind.Error || args[1].Kind == TypedConstantKind.Error
                || args[0].Value is not int layer || !TryDouble(args[1].Value, out var keep))
                return false;
            if (ScheduleRules.KeepRatio(keep) is { } badKeep)
                problems.Add(Problem(badKeep, PositionalLocation(attribute, 1, cancellation)));
            if (layersKnown && ScheduleRules.Layer(layer, numLayers) is { } badLayer)
                problems.Add(Problem(badLayer, PositionalLocation(attribute, 0, cancellation)));
            if (stages.Count > 0 && ScheduleRules.AfterPrevious(layer, stages[stages.Count - 1].Layer) is { } badOrder)
                problems.Add(Problem(badOrder, PositionalLocation(attribute, 0, cancellation)));
            stages.Add(new StageInfo(layer, keep));
        }
        return true;
    }

    private static bool ReadGeometric(AttributeData attribute, int numLayers, bool layersKnown, List<StageInfo> stages, List<ScheduleProblem> problems,
        CancellationToken cancellation)
    {
        if (!(TryNamed(attribute, "FirstLayer", 0, out int first) & TryNamed(attribute, "Every", 1, out int every)
              & TryNamed(attribute, "Stages", 0, out int count) & TryNamed(attribute, "Ratio", 0.0, out double ratio)))
            return false;
        var violations = ScheduleRules.Geometric(first, every, count, ratio, layersKnown ? numLayers : null);
        foreach (var (violation, field) in violations) problems.Add(Problem(violation, NamedLocation(attribute, field, cancellation)));
        // Nothing is generated without a valid layer count and stages that fit (a bad ratio alone is reported, not fatal here).
        if (!layersKnown || violations.Any(v => v.Field != "Ratio")) return true;
        // Here every stage sits on a layer of the model, so there are fewer stages than MaxLayers.
        for (int s = 0; s < count; s++) stages.Add(new StageInfo(first + s * every, ratio));
        return true;
    }

    private static void CheckPartial(INamedTypeSymbol type, List<ScheduleProblem> problems, CancellationToken cancellation)
    {
        if (!IsPartial(type, cancellation))
        {
            problems.Add(new(DiagnosticDescriptors.NotPartial, IdentifierLocation(type, cancellation), type.Name, ""));
            return;
        }
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            if (!IsPartial(outer, cancellation))
            {
                problems.Add(new(DiagnosticDescriptors.NotPartial, IdentifierLocation(type, cancellation), type.Name,
                    $" (its containing type '{outer.Name}' must be partial too)"));
                return;
            }
    }

    private static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellation) =>
        type.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellation) is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword));

    // The generator's own output (a hint name ending .g.cs) declares the reserved members: they are not the user's.
    private static bool IsGenerated(Location location) =>
        location.SourceTree?.FilePath.EndsWith(".g.cs", System.StringComparison.OrdinalIgnoreCase) == true;

    private static bool BaseIsSdtpModel(INamedTypeSymbol type)
    {
        for (var b = type.BaseType; b is not null; b = b.BaseType)
            if (b.GetAttributes().Any(a => Is(a, SdtpModelAttribute))) return true;
        return false;
    }

    private static IEnumerable<string> NamespaceParts(INamespaceSymbol ns)
    {
        var parts = new List<string>();
        for (var n = ns; n is not null && !n.IsGlobalNamespace; n = n.ContainingNamespace) parts.Insert(0, n.Name);
        return parts;
    }

    /// <summary><paramref name="name"/> as C# source spells it: a reserved keyword (a class named <c>@class</c>) needs its '@'.</summary>
    private static string Identifier(string name) =>
        SyntaxFacts.IsReservedKeyword(SyntaxFacts.GetKeywordKind(name)) ? "@" + name : name;

    private static bool DerivesFrom(INamedTypeSymbol type, string metadataName)
    {
        for (var b = type.BaseType; b is not null; b = b.BaseType)
            if (b.ToDisplayString() == metadataName) return true;
        return false;
    }

    private static IEnumerable<ContainingTypeInfo> ContainingTypes(INamedTypeSymbol type)
    {
        var chain = new List<ContainingTypeInfo>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            chain.Insert(0, new ContainingTypeInfo(Keyword(outer), NameWithTypeParameters(outer)));
        return chain;
    }

    private static string Keyword(INamedTypeSymbol type) => (type.IsRecord, type.TypeKind) switch
    {
        (true, TypeKind.Struct) => "record struct",
        (true, _) => "record",
        (_, TypeKind.Struct) => "struct",
        (_, TypeKind.Interface) => "interface",
        _ => "class",
    };

    private static string NameWithTypeParameters(INamedTypeSymbol type) =>
        type.TypeParameters.Length == 0 ? Identifier(type.Name) : $"{Identifier(type.Name)}<{string.Join(", ", type.TypeParameters.Select(p => Identifier(p.Name)))}>";

    private static string MetadataName(INamedTypeSymbol type)
    {
        var name = type.MetadataName;
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType) name = outer.MetadataName + "+" + name;
        return type.ContainingNamespace.IsGlobalNamespace ? name : type.ContainingNamespace.ToDisplayString() + "." + name;
    }

    private static bool Is(AttributeData attribute, string metadataName) =>
        attribute.AttributeClass is { } c && c.TypeKind != TypeKind.Error && c.ToDisplayString() == metadataName;

    private static bool TryNamed<T>(AttributeData attribute, string name, T fallback, out T value)
    {
        value = fallback;
        foreach (var pair in attribute.NamedArguments)
        {
            if (pair.Key != name) continue;
            if (pair.Value.Kind == TypedConstantKind.Error) return false;
            if (pair.Value.Value is T typed) { value = typed; return true; }
            if (typeof(T) == typeof(double) && TryDouble(pair.Value.Value, out var d)) { value = (T)(object)d; return true; }
            return false;
        }
        return true;
    }

    private static bool TryDouble(object? value, out double result)
    {
        switch (value)
        {
            case double d: result = d; return true;
            case float f: result = f; return true;
            case int i: result = i; return true;
            default: result = 0; return false;
        }
    }

    private static string Format(int value) => ScheduleRules.Format(value);

    private static ScheduleProblem Problem(ScheduleRuleViolation violation, Location? location) =>
        new(DiagnosticDescriptors.ForRule(violation.Id), location, violation.Args);

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static Location? IdentifierLocation(INamedTypeSymbol type, CancellationToken cancellation) =>
        type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellation)).OfType<TypeDeclarationSyntax>()
            .Select(t => t.Identifier.GetLocation()).FirstOrDefault() ?? type.Locations.FirstOrDefault();

    /// <summary>The type declaration an attribute is written on (attribute -> attribute list -> declaration).</summary>
    private static SyntaxNode? DeclarationOf(AttributeData attribute, CancellationToken cancellation) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellation).Parent?.Parent;

    private static Location? AttributeLocation(AttributeData attribute, CancellationToken cancellation) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellation).GetLocation();

    private static Location? PositionalLocation(AttributeData attribute, int index, CancellationToken cancellation)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellation) is AttributeSyntax { ArgumentList: { } list } && index < list.Arguments.Count
            && list.Arguments[index].NameEquals is null)
            return list.Arguments[index].GetLocation();
        return AttributeLocation(attribute, cancellation);
    }

    private static Location? NamedLocation(AttributeData attribute, string name, CancellationToken cancellation)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellation) is AttributeSyntax { ArgumentList: { } list })
            foreach (var argument in list.Arguments)
                if (argument.NameEquals?.Name.Identifier.ValueText == name)
                    return argument.GetLocation();
        return AttributeLocation(attribute, cancellation);
    }
}
