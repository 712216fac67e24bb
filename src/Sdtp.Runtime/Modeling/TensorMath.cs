using TorchSharp;
using static TorchSharp.torch;

namespace Sdtp.Modeling;

/// <summary>
/// Tensor arithmetic whose numbers stay alive for the whole native call. TorchSharp's operators and number overloads
/// (<c>a + b</c>, <c>x * 0.5</c>, <c>x.pow(2)</c>, <c>masked_fill(m, 0)</c>, <c>arange(n)</c>) turn each number into a
/// temporary <see cref="Scalar"/> and pass only its native handle on; nothing keeps the managed object reachable, so
/// the garbage collector may finalize it, freeing the native value, while libtorch still reads it. libtorch then
/// fails with "Expected false to be true" from <c>c10::Scalar::toFloat</c> (or <c>toHalf</c>), or reads a wrong number.
/// Every helper here holds its Scalars until the call has returned (a shared 1 for the <c>alpha</c> of add and sub,
/// a disposed-after-use one for other numbers). <c>benchmarks/Sdtp.ScalarRace</c> measures the race.
/// </summary>
public static class TensorMath
{
    // Never finalized: a static field keeps it reachable for the life of the process. libtorch only reads it. The
    // runtime's other held-Scalar code (HeldScalarOptimizers) passes it as the alpha of its in-place additions.
    internal static readonly Scalar One = 1.ToScalar();

    /// <summary><paramref name="a"/> + <paramref name="b"/>.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><paramref name="a"/> - <paramref name="b"/> (TorchSharp's sub passes no Scalar; here so that sums and differences read alike).</summary>
    public static Tensor Minus(this Tensor a, Tensor b) => a.sub(b);

    /// <summary><paramref name="a"/> + <paramref name="value"/>, element-wise.</summary>
    public static Tensor Plus(this Tensor a, double value) => Held(value.ToScalar(), scalar => a.add(scalar, One));

    /// <summary><paramref name="a"/> + <paramref name="value"/>, element-wise (an integer: integer tensors stay integers).</summary>
    public static Tensor Plus(this Tensor a, long value) => Held(value.ToScalar(), scalar => a.add(scalar, One));

    /// <summary><paramref name="value"/> - <paramref name="a"/>, element-wise.</summary>
    public static Tensor SubtractedFrom(this Tensor a, double value) => Held(value.ToScalar(), scalar =>
    {
        using var negated = a.neg();
        return negated.add(scalar, One);
    });

    /// <summary><paramref name="a"/> * <paramref name="value"/>.</summary>
    public static Tensor Times(this Tensor a, double value) => Held(value.ToScalar(), scalar => a.mul(scalar));

    /// <summary><paramref name="a"/> / <paramref name="value"/>.</summary>
    public static Tensor DividedBy(this Tensor a, double value) => Held(value.ToScalar(), scalar => a.div(scalar));

    /// <summary><paramref name="a"/> squared, element-wise (what <c>pow(2)</c> computes).</summary>
    public static Tensor Squared(this Tensor a) => a.mul(a);

    /// <summary><paramref name="a"/> with <paramref name="value"/> where <paramref name="mask"/> is true.</summary>
    public static Tensor FilledWhere(this Tensor a, Tensor mask, double value) => Held(value.ToScalar(), scalar => a.masked_fill(mask, scalar));

    /// <summary><paramref name="a"/> with <paramref name="value"/> where <paramref name="mask"/> is true (an integer: integer tensors stay integers).</summary>
    public static Tensor FilledWhere(this Tensor a, Tensor mask, long value) => Held(value.ToScalar(), scalar => a.masked_fill(mask, scalar));

    /// <summary><paramref name="a"/> raised to at least <paramref name="min"/> (an integer: integer tensors stay integers).</summary>
    public static Tensor AtLeast(this Tensor a, long min) => Held(min.ToScalar(), scalar => a.clamp_min(scalar));

    /// <summary><paramref name="a"/> raised to at least <paramref name="min"/>.</summary>
    public static Tensor AtLeast(this Tensor a, double min) => Held(min.ToScalar(), scalar => a.clamp_min(scalar));

    /// <summary><paramref name="a"/> clamped into [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Tensor Between(this Tensor a, double min, double max)
    {
        using var low = min.ToScalar();
        using var high = max.ToScalar();
        return a.clamp(low, high);
    }

    /// <summary>Where <paramref name="a"/> is at least <paramref name="value"/> (bool).</summary>
    public static Tensor IsAtLeast(this Tensor a, double value) => Held(value.ToScalar(), scalar => a.ge(scalar));

    /// <summary>Where <paramref name="a"/> is below <paramref name="value"/> (bool).</summary>
    public static Tensor IsBelow(this Tensor a, double value) => Held(value.ToScalar(), scalar => a.lt(scalar));

    /// <summary>Where <paramref name="a"/> differs from <paramref name="value"/> (bool).</summary>
    public static Tensor IsNot(this Tensor a, double value) => Held(value.ToScalar(), scalar => a.ne(scalar));

    /// <summary>Fills <paramref name="a"/> with <paramref name="value"/> in place.</summary>
    public static Tensor FillWith(this Tensor a, double value) => Held(value.ToScalar(), scalar => a.fill_(scalar));

    /// <summary>Fills <paramref name="a"/> with <paramref name="value"/> in place (a bool: masks stay masks).</summary>
    public static Tensor FillWith(this Tensor a, bool value) => Held(value.ToScalar(), scalar => a.fill_(scalar));

    /// <summary>The int64 integers <paramref name="start"/> .. <paramref name="stop"/> - 1 on <paramref name="device"/>.</summary>
    public static Tensor Range(long start, long stop, Device? device = null)
    {
        using var from = start.ToScalar();
        using var to = stop.ToScalar();
        return arange(from, to, One, ScalarType.Int64, device);
    }

    /// <summary>A tensor of <paramref name="shape"/> filled with <paramref name="value"/>.</summary>
    public static Tensor Filled(long[] shape, double value, ScalarType dtype, Device? device = null) => Held(value.ToScalar(), scalar => full(shape, scalar, dtype, device));

    // The Scalar lives, and is freed, only after the call that reads it has returned.
    private static Tensor Held(Scalar scalar, Func<Scalar, Tensor> call)
    {
        using (scalar) return call(scalar);
    }
}
