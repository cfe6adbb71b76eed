using System.Numerics;
using System.Runtime.CompilerServices;

namespace MultiMax.Benchmarks;

/// <summary>
/// An exponential in single precision throughout, the alternative to the BCL's <c>Vector256.Exp</c> that
/// <see cref="ExpBenchmarks"/> measures: it was slower, so the kernels keep the BCL's.
/// </summary>
/// <remarks>
/// Cody–Waite reduction <c>x = n·ln 2 + r</c>, |r| ≤ ln 2 / 2, with ln 2 split in two so that <c>n·ln 2</c> is
/// subtracted exactly; then <c>exp r = 1 + r + r²·P(r)</c> with Moshier's degree-5 minimax polynomial (Cephes
/// <c>expf</c>); then the scaling by 2ⁿ in two halves, so that neither factor leaves the normal range and subnormal
/// results are kept.
/// </remarks>
internal static class SinglePrecisionExp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Exp(Vector<float> x)
    {
        // Beyond these, exp x is +∞ or rounds to 0 anyway; the clamp keeps n within what the two halves can scale by.
        var clamped = Vector.MinNative(Vector.MaxNative(x, new Vector<float>(-104f)), new Vector<float>(89f));

        // Adding 1.5·2²³ rounds x·log₂e to the nearest integer n and leaves n in the sum's low mantissa bits.
        const float RoundingShift = 12_582_912f;
        var shifted = Vector.FusedMultiplyAdd(clamped, new Vector<float>(1.44269504088896341f), new Vector<float>(RoundingShift));
        var n = shifted - new Vector<float>(RoundingShift);
        var r = Vector.FusedMultiplyAdd(n, new Vector<float>(-0.693359375f), clamped);
        r = Vector.FusedMultiplyAdd(n, new Vector<float>(2.12194440e-4f), r);

        var p = Vector.FusedMultiplyAdd(new Vector<float>(1.9875691500e-4f), r, new Vector<float>(1.3981999507e-3f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(8.3334519073e-3f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(4.1665795894e-2f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(1.6666665459e-1f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(5.0000001201e-1f));
        var expR = Vector.FusedMultiplyAdd(p, r * r, r + Vector<float>.One);

        // 2ⁿ = 2^⌊n/2⌋ · 2^(n − ⌊n/2⌋), each built from its exponent bits: n ∈ [−150, 128] after the clamp.
        var nInt = Vector.AsVectorInt32(shifted) - Vector.AsVectorInt32(new Vector<float>(RoundingShift));
        var half = Vector.ShiftRightArithmetic(nInt, 1);
        var bias = new Vector<int>(127);
        var low = Vector.AsVectorSingle(Vector.ShiftLeft(half + bias, 23));
        var high = Vector.AsVectorSingle(Vector.ShiftLeft(nInt - half + bias, 23));

        // NaN in, NaN out: the clamp may have replaced it.
        return Vector.ConditionalSelect(Vector.Equals(x, x), expR * low * high, x);
    }
}
