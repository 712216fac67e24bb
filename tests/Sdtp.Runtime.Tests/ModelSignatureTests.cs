using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

public class ModelSignatureTests
{
    [Fact]
    public void The_signature_follows_the_architecture_not_the_weights_or_dtype()
    {
        using var a = TinyModels.Random(TinyModels.Config(layers: 3), seed: 1);
        using var b = TinyModels.Random(TinyModels.Config(layers: 3), seed: 2);
        Assert.Matches("^[0-9a-f]{16}$", ModelSignature.Of(a));
        Assert.Equal(ModelSignature.Of(a), ModelSignature.Of(b));
        using var half = TinyModels.Random(TinyModels.Config(layers: 3), seed: 1, dtype: ScalarType.BFloat16);
        Assert.Equal(ModelSignature.Of(a), ModelSignature.Of(half));
        foreach (var other in new[] { TinyModels.Config(layers: 4), TinyModels.Config(kvHeads: 1), TinyModels.Config(tied: true), TinyModels.Config(layers: 3) with { RopeTheta = 5e5 } })
        {
            using var model = TinyModels.Random(other);
            Assert.NotEqual(ModelSignature.Of(a), ModelSignature.Of(model));
        }
    }
}
