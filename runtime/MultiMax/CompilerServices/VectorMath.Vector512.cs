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
    /// tiered code inline it): as a call it made the wide SoftMax row loop take 1.6× as long (ExpBenchmarks).
    /// Cody–Waite reduction <c>x = n·ln 2 + r</c>, |r| ≤ ln 2 / 2, with ln 2 split in two so that <c>n·ln 2</c> is
    /// subtracted exactly; then <c>exp r = 1 + r + r²·P(r)</c> with Moshier's degree-5 minimax polynomial (Cephes
    /// <c>expf</c>); then the scaling by 2ⁿ, rounded once.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        // Beyond these, exp x is +∞ or rounds to 0 anyway; the clamp keeps n within what the two halves can scale by.
        Vector512<float> clamped = Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(MinimumArgument)), Vector512.Create(89f));

        // NaN in, NaN out: the clamp may have replaced it.
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), ExpOfClamped(clamped), x);
    }

    /// <summary>
    /// <see cref="Exp(Vector512{float})"/> for arguments that are at most 0 or NaN, as a row's σ − max σ always is: the
    /// same bits there in 15 instructions instead of 18 (no upper clamp, and a NaN passes the lower one by itself).
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
        return ExpOfClamped(Avx512F.Max(Vector512.Create(MinimumArgument), x));
    }

    /// <summary>Below this, exp rounds to 0 in single precision (and a smaller n would not fit the scaling).</summary>
    private const float MinimumArgument = -104f;

    /// <summary>The exponential of an argument already clamped to [<see cref="MinimumArgument"/>, 89].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ExpOfClamped(Vector512<float> clamped)
    {
        // Adding 1.5·2²³ rounds x·log₂e to the nearest integer n and leaves n in the sum's low mantissa bits.
        const float RoundingShift = 12_582_912f;
        Vector512<float> shifted = Vector512.FusedMultiplyAdd(clamped, Vector512.Create(1.44269504088896341f), Vector512.Create(RoundingShift));
        Vector512<float> n = shifted - Vector512.Create(RoundingShift);
        Vector512<float> r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), clamped);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);

        Vector512<float> p = Vector512.FusedMultiplyAdd(Vector512.Create(1.9875691500e-4f), r, Vector512.Create(1.3981999507e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894e-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459e-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201e-1f));
        Vector512<float> expR = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);

        // expR·2ⁿ, rounded once (subnormal results included): one instruction (VSCALEFPS) where there is one.
        return Avx512F.IsSupported ? Avx512F.Scale(expR, n) : ScaleByHalves(expR, n);
    }

    /// <summary>
    /// <c>value·2ⁿ</c> for integral <paramref name="n"/> in [−150, 128] without VSCALEFPS: 2ⁿ = 2^⌊n/2⌋·2^(n − ⌊n/2⌋),
    /// each factor built from its exponent bits and normal, so that for <paramref name="value"/> in [½, 2) only the
    /// second product rounds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> ScaleByHalves(Vector512<float> value, Vector512<float> n)
    {
        Vector512<int> nInt = Vector512.ConvertToInt32(n);
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
