using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MultiMax.CompilerServices;

// The 512-bit forms, for the generated row kernels' wide path (Vector<T> stays at 256 bits on AVX-512 hardware).
public static partial class VectorMath
{
    /// <summary>
    /// e raised to each lane of <paramref name="x"/>, in single precision throughout and inlined into its caller:
    /// within 2 ulp of exp (subnormal results kept, ±∞ and NaN as exp gives them).
    /// </summary>
    /// <remarks>
    /// Written here rather than calling <see cref="Vector512.Exp(Vector512{float})"/>, which widens to double and is
    /// too large to be inlined into the generated kernels (compiled fully optimized, without the profile that lets
    /// tiered code inline it): as a call it slowed the wide SoftMax row loop (ExpBenchmarks; docs/benchmarks.md). The
    /// routine is <see cref="ExpOfClamped"/>, the same at every width, with the scaling by 2ⁿ one VSCALEFPS here.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        Vector512<float> clamped = Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(MinimumArgument)), Vector512.Create(MaximumArgument));

        // NaN in, NaN out: the clamp may have replaced it.
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), ExpOfClamped<WideSingleLanes, Vector512<float>>(clamped), x);
    }

    /// <summary>
    /// <see cref="Exp(Vector512{float})"/> for arguments that are at most 0 or NaN, as a row's σ − max σ always is: the
    /// same bits there in fewer instructions (no upper clamp, and a NaN passes the lower one by itself).
    /// Positive arguments are outside its domain.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ExpNonPositive(Vector512<float> x)
    {
        if (!Avx512F.IsSupported)
        {
            return Exp(x);
        }

        // VMAXPS returns its second operand when either is NaN: a NaN argument goes through, and every step after keeps it.
        return ExpOfClamped<WideSingleLanes, Vector512<float>>(Avx512F.Max(Vector512.Create(MinimumArgument), x));
    }

    /// <inheritdoc cref="ScaleByHalves(System.Numerics.Vector{float}, System.Numerics.Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> ScaleByHalves(Vector512<float> value, Vector512<float> n)
    {
        Vector512<int> nInt = Vector512.ConvertToInt32Native(n); // n is integral and in range: no saturation needed
        Vector512<int> half = Vector512.ShiftRightArithmetic(nInt, 1);
        Vector512<int> bias = Vector512.Create(127);
        Vector512<float> low = Vector512.ShiftLeft(half + bias, 23).AsSingle();
        Vector512<float> high = Vector512.ShiftLeft(nInt - half + bias, 23).AsSingle();
        return value * low * high;
    }

    /// <summary>
    /// e raised to each lane of <paramref name="x"/>: the BCL's 256-bit exponential on each half, which the 256-bit
    /// kernels use too (the BCL's 512-bit one stays a call into slow code, as for float).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Exp(Vector512<double> x) => Vector512.Create(Vector256.Exp(x.GetLower()), Vector256.Exp(x.GetUpper()));

    /// <summary>The double exponential, which has no cheaper form for non-positive arguments.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> ExpNonPositive(Vector512<double> x) => Exp(x);
}
