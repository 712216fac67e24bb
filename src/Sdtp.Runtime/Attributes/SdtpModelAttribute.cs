namespace Sdtp;

/// <summary>
/// Marks a <c>partial</c> class deriving from <see cref="Modeling.LlamaForCausalLM"/> for SDTP: the source generator
/// emits its schedule constants and a specialized pruned forward for the schedule given by
/// <see cref="GeometricScheduleAttribute"/> or <see cref="PruneAtAttribute"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class SdtpModelAttribute : Attribute
{
    /// <summary>Decoder layers of the model the schedule is written for (validated at compile time, and at run time against the config).</summary>
    public int NumLayers { get; set; }
}

/// <summary>A pruning stage before decoder layer <paramref name="layer"/>, keeping <paramref name="keep"/> of the tokens that reach it.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class PruneAtAttribute(int layer, double keep) : Attribute
{
    /// <summary>The layer the stage sits before, in [1, NumLayers - 1].</summary>
    public int Layer { get; } = layer;

    /// <summary>Share of the tokens reaching the stage that survive, in (0, 1].</summary>
    public double Keep { get; } = keep;
}

/// <summary><see cref="Stages"/> stages at layers FirstLayer, FirstLayer + Every, ..., each keeping <see cref="Ratio"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class GeometricScheduleAttribute : Attribute
{
    /// <summary>Layer of the first stage.</summary>
    public int FirstLayer { get; set; }

    /// <summary>Layers between stages.</summary>
    public int Every { get; set; } = 1;

    /// <summary>Number of stages.</summary>
    public int Stages { get; set; }

    /// <summary>Keep ratio of every stage.</summary>
    public double Ratio { get; set; }
}

/// <summary>Tokens kept at every stage: the first <see cref="Initial"/> and the most recent <see cref="RecentFraction"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class AlwaysKeepAttribute : Attribute
{
    /// <summary>Leading tokens always kept (attention sinks); at least 0.</summary>
    public int Initial { get; set; } = 4;

    /// <summary>Share of the most recent tokens always kept, in [0, 1); at least one token is always kept.</summary>
    public double RecentFraction { get; set; } = 0.1;
}
