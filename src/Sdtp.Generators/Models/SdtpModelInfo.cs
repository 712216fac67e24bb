namespace Sdtp.Generators.Models;

/// <summary>One pruning stage: before <see cref="Layer"/>, keep <see cref="Keep"/>.</summary>
internal sealed record StageInfo(int Layer, double Keep);

/// <summary>A type enclosing the model class, outermost first ("class Outer", "struct S", "record R").</summary>
internal sealed record ContainingTypeInfo(string Keyword, string NameWithTypeParameters);

/// <summary>
/// Everything the emitter needs about one valid <c>[SdtpModel]</c> class: strings and numbers only (never a symbol,
/// syntax node or location), so the incremental pipeline can compare and cache it. Names are escaped as C# spells
/// them (<c>@class</c>); <see cref="HidesInherited"/> is set when a base class is an SDTP model too, whose public
/// generated members this class's then hide (with <c>new</c>).
/// </summary>
internal sealed record SdtpModelInfo(
    string Namespace,
    EquatableArray<ContainingTypeInfo> ContainingTypes,
    string ClassName,
    string NameWithTypeParameters,
    string MetadataName,
    int NumLayers,
    EquatableArray<StageInfo> Stages,
    int AlwaysKeepInitial,
    double AlwaysKeepRecentFraction,
    bool HidesInherited)
{
    /// <summary>File name of the generated source: the fully qualified metadata name, with characters hint names reject replaced.</summary>
    public string HintName
    {
        get
        {
            var chars = MetadataName.ToCharArray();
            for (int i = 0; i < chars.Length; i++)
                if (!(char.IsLetterOrDigit(chars[i]) || chars[i] is '.' or '_' or '-' or '+')) chars[i] = '_';
            return new string(chars) + ".g.cs";
        }
    }
}
