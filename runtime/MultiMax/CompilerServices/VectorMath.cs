using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MultiMax.CompilerServices;

/// <summary>
/// The vector arithmetic the generated kernels and the fused operators share, at <see cref="Vector{T}"/>'s width and
/// at 512 bits (VectorMath.Vector512.cs): the exponential (in single precision our own, VectorMath.SingleExp.cs; in
/// double the BCL's through its fixed-width vectors) and the reductions across lanes (VectorMath.Reductions.cs).
/// </summary>
/// <remarks>
/// Double goes through the BCL's fixed-width Exp because on .NET 10 it took less time than
/// <see cref="Vector.Exp(Vector{float})"/> on the very same registers (measured in single precision, before the float
/// exponential became our own; docs/benchmarks.md). The width checks are JIT-time constants, so each call compiles to
/// one direct call.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class VectorMath
{
    /// <summary>
    /// e raised to each lane of <paramref name="x"/>: our single-precision exponential (<see cref="ExpOfClamped"/>),
    /// inlined, within 2 ulp of exp and with the bits of the 512-bit form lane for lane. The BCL's
    /// <see cref="Vector256.Exp(Vector256{float})"/> widens to double and, in code compiled fully optimized from the
    /// start as the kernels are, stays a call, around which every live register is spilled (ExpBenchmarks).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Exp(Vector<float> x)
    {
        if (Vector<float>.Count == Vector512<float>.Count)
        {
            return Exp(x.AsVector512()).AsVector();
        }

        Vector<float> clamped = Vector.MinNative(Vector.MaxNative(x, new Vector<float>(MinimumArgument)), new Vector<float>(MaximumArgument));

        // NaN in, NaN out: the clamp may have replaced it.
        return Vector.ConditionalSelect(Vector.Equals(x, x), ExpOfClamped<NativeSingleLanes<KeepingSubnormals>, Vector<float>>(clamped), x);
    }

    /// <summary>e raised to each lane of <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Exp(Vector<double> x)
    {
        if (Vector<double>.Count == Vector256<double>.Count)
        {
            return Vector256.Exp(x.AsVector256()).AsVector();
        }

        if (Vector<double>.Count == Vector512<double>.Count)
        {
            return Exp(x.AsVector512()).AsVector();
        }

        if (Vector<double>.Count == Vector128<double>.Count)
        {
            return Vector128.Exp(x.AsVector128()).AsVector();
        }

        return Vector.Exp(x);
    }

    /// <summary>
    /// <see cref="Exp(Vector{float})"/> for arguments that are at most 0 or NaN, as a row's σ − max σ always is: the
    /// same bits there with one instruction of clamping instead of four where the hardware's maximum lets a NaN
    /// through. Positive arguments are outside its domain.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> ExpNonPositive(Vector<float> x) => ExpNonPositive<KeepingSubnormals>(x);

    /// <summary>
    /// <see cref="ExpNonPositive(Vector{float})"/> for sums that are at least 1 — a tile row's exponentials after its
    /// maximum, which gives 1 — where no subnormal result can change the sum or a weight divided by it: on 256-bit AVX
    /// lanes 2ⁿ is one exponent field (<see cref="ScaleFlushingSubnormals"/>) instead of two products, and results below
    /// float's smallest normal number (arguments below about −87.3) come out 0. Elsewhere it is
    /// <see cref="ExpNonPositive(Vector{float})"/>, whose 512-bit lanes scale in one instruction. The same bits as
    /// <see cref="ExpNonPositive(Vector{float})"/> wherever that result is normal; −∞ gives 0 and NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> ExpNonPositiveFlushed(Vector<float> x) => ExpNonPositive<FlushingSubnormals>(x);

    /// <summary>
    /// The two exponentials above, which differ only in how their 256-bit AVX lanes build 2ⁿ
    /// (<typeparamref name="TScaling"/>): 512-bit lanes scale in one instruction, and other widths take
    /// <see cref="Exp(Vector{float})"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> ExpNonPositive<TScaling>(Vector<float> x)
        where TScaling : IPowerOfTwoScaling
    {
        if (Vector<float>.Count == Vector512<float>.Count)
        {
            return ExpNonPositive(x.AsVector512()).AsVector();
        }

        if (Avx.IsSupported && Vector<float>.Count == Vector256<float>.Count)
        {
            // VMAXPS returns its second operand when either is NaN: a NaN argument goes through the clamp.
            Vector<float> clamped = Avx.Max(Vector256.Create(MinimumArgument), x.AsVector256()).AsVector();
            return ExpOfClamped<NativeSingleLanes<TScaling>, Vector<float>>(clamped);
        }

        return Exp(x);
    }

    /// <summary>The double exponential, which has no cheaper form for non-positive arguments.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> ExpNonPositive(Vector<double> x) => Exp(x);

    /// <summary>
    /// <c>value·2ⁿ</c> for integral <paramref name="n"/> in [−150, 128] with integer operations only (there is no
    /// VSCALEFPS below AVX-512): 2ⁿ = 2^⌊n/2⌋·2^(n − ⌊n/2⌋), each factor built from its exponent bits and normal, so
    /// that for <paramref name="value"/> in [½, 2) only the second product rounds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<float> ScaleByHalves(Vector<float> value, Vector<float> n)
    {
        Vector<int> nInt = Vector.ConvertToInt32Native(n); // n is integral and in range: no saturation needed
        Vector<int> half = Vector.ShiftRightArithmetic(nInt, 1);
        var bias = new Vector<int>(127);
        Vector<float> low = Vector.AsVectorSingle(Vector.ShiftLeft(half + bias, 23));
        Vector<float> high = Vector.AsVectorSingle(Vector.ShiftLeft(nInt - half + bias, 23));
        return value * low * high;
    }

    /// <summary>
    /// <c>value·2ⁿ</c> for integral <paramref name="n"/> in [−150, 0], with 2ⁿ written as an exponent field: for
    /// n ≥ −126 the product <see cref="ScaleByHalves(Vector{float}, Vector{float})"/> gives (one rounding, only where
    /// the result is subnormal), and 0 for n ≤ −127, where 2ⁿ is not a normal number.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<float> ScaleFlushingSubnormals(Vector<float> value, Vector<float> n)
    {
        Vector<int> exponent = Vector.Max(Vector.ConvertToInt32Native(n) + new Vector<int>(127), Vector<int>.Zero);
        return value * Vector.AsVectorSingle(Vector.ShiftLeft(exponent, 23));
    }
}
