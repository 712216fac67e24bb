namespace Sdtp.Generators.Tests;

/// <summary>Model classes the tests feed the generator and analyzer.</summary>
internal static class Sources
{
    public const string Usings = """
        using Sdtp;
        using Sdtp.Modeling;
        using TorchSharp;

        """;

    public static string Model(string attributes, string name = "TinyLlama", string modifiers = "public sealed partial", string baseType = " : LlamaForCausalLM") => Usings + $$"""
        namespace Samples
        {
            {{attributes}}
            {{modifiers}} class {{name}}{{baseType}}
            {
                public {{name}}(ModelConfig config) : base(config, torch.CPU) { }
            }
        }
        """;

    public static readonly string Geometric = Model("""
        [SdtpModel(NumLayers = 12)]
        [GeometricSchedule(FirstLayer = 2, Every = 1, Stages = 10, Ratio = 0.9)]
        [AlwaysKeep(Initial = 4, RecentFraction = 0.1)]
        """);

    public static readonly string Explicit = Model("""
        [SdtpModel(NumLayers = 8)]
        [PruneAt(2, 0.8)]
        [PruneAt(4, 0.75)]
        [PruneAt(6, 0.5)]
        [AlwaysKeep(Initial = 2, RecentFraction = 0.05)]
        """, "ExplicitLlama");

    public static readonly string SingleStage = Model("""
        [SdtpModel(NumLayers = 4)]
        [PruneAt(1, 0.35)]
        """, "SingleStageLlama");

    public static readonly string Nested = Usings + """
        namespace Company.Models.Serving
        {
            public static partial class Registry
            {
                internal partial class Outer
                {
                    [SdtpModel(NumLayers = 6)]
                    [GeometricSchedule(FirstLayer = 1, Every = 2, Stages = 3, Ratio = 0.7)]
                    public partial class NestedLlama : LlamaForCausalLM
                    {
                        public NestedLlama(ModelConfig config) : base(config, torch.CPU) { }
                    }
                }
            }
        }
        """;
}
