using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MultiMax.CompilerServices;

// Reductions across the lanes of one register, as a tree of lane-wise steps: the register is folded in halves down to
// 128 bits and then within them, log₂ lanes steps in all, rather than a chain of scalar ones. Every row waits for its
// maximum before its exponentials start, and for its sum before it is normalised.
//
// The tree is written once, generic over the step and the element type, and serves every width. Vector<T> at 256 bits
// (x86-64 with AVX2, and with AVX-512 unless Vector<T> is widened) takes the same tree written out instead, with the
// same steps in the same order, so the same bits: the generic tree costs the JIT about 10 ms the first time a method
// inlines it (docs/benchmarks.md), and a fresh process's first attention call inlines it on its way.
public static partial class VectorMath
{
    /// <summary>The largest lane of <paramref name="x"/>, NaN if any lane is NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector<float> x) => Vector<float>.Count == 8 ? MaxOf8(x.AsVector256()) : Across<Maximum, float>(x);

    /// <inheritdoc cref="MaxAcross(Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double MaxAcross(Vector<double> x) => Vector<double>.Count == 4 ? MaxOf4(x.AsVector256()) : Across<Maximum, double>(x);

    /// <inheritdoc cref="MaxAcross(Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector512<float> x) => Across<Maximum, float>(x);

    /// <inheritdoc cref="MaxAcross(Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double MaxAcross(Vector512<double> x) => Across<Maximum, double>(x);

    /// <summary>
    /// The largest lane of <paramref name="x"/> as <c>MaxNative</c> compares: where a lane is NaN, the result may be NaN
    /// or another lane. One instruction per step on x86, where the NaN-propagating maximum takes three; the row kernels
    /// use it because a NaN lane makes their row's sum of exponentials NaN anyway.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcrossNative(Vector<float> x) => Vector<float>.Count == 8 ? MaxNativeOf8(x.AsVector256()) : Across<NativeMaximum, float>(x);

    /// <inheritdoc cref="MaxAcrossNative(Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double MaxAcrossNative(Vector<double> x) => Vector<double>.Count == 4 ? MaxNativeOf4(x.AsVector256()) : Across<NativeMaximum, double>(x);

    /// <inheritdoc cref="MaxAcrossNative(Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcrossNative(Vector512<float> x) => Across<NativeMaximum, float>(x);

    /// <inheritdoc cref="MaxAcrossNative(Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double MaxAcrossNative(Vector512<double> x) => Across<NativeMaximum, double>(x);

    /// <summary>
    /// The sum of the lanes of <paramref name="x"/>, added pairwise. The BCL's <c>Vector512.Sum</c> takes more
    /// instructions on x86-64 (.NET 10; docs/benchmarks.md), and a row kernel takes one per row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumAcross(Vector<float> x) => Vector<float>.Count == 8 ? SumOf8(x.AsVector256()) : Across<Addition, float>(x);

    /// <inheritdoc cref="SumAcross(Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumAcross(Vector<double> x) => Vector<double>.Count == 4 ? SumOf4(x.AsVector256()) : Across<Addition, double>(x);

    /// <inheritdoc cref="SumAcross(Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumAcross(Vector512<float> x) => Across<Addition, float>(x);

    /// <inheritdoc cref="SumAcross(Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumAcross(Vector512<double> x) => Across<Addition, double>(x);

    /// <summary>
    /// <c>total += SumAcross(x)</c>, compiled once rather than inlined: the derivative of a modulator with parameters
    /// takes one such sum per parameter per chunk of a tile, and every inlined copy of the reduction's tree of helpers
    /// costs the JIT more, on a process's first attention backward, than the call costs at run time.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void AddAcross(Vector<float> x, ref double total) => total += SumAcross(x);

    /// <inheritdoc cref="AddAcross(Vector{float}, ref double)"/>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void AddAcross(Vector<double> x, ref double total) => total += SumAcross(x);

    // The generic tree's steps for one 256-bit register, written out: its halves, then within 128 bits.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MaxOf8(Vector256<float> x)
    {
        Vector128<float> half = Vector128.Max(x.GetLower(), x.GetUpper());
        half = Vector128.Max(half, Vector128.Shuffle(half, Vector128.Create(2, 3, 0, 1)));
        return Vector128.Max(half, Vector128.Shuffle(half, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MaxNativeOf8(Vector256<float> x)
    {
        Vector128<float> half = Vector128.MaxNative(x.GetLower(), x.GetUpper());
        half = Vector128.MaxNative(half, Vector128.Shuffle(half, Vector128.Create(2, 3, 0, 1)));
        return Vector128.MaxNative(half, Vector128.Shuffle(half, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float SumOf8(Vector256<float> x)
    {
        Vector128<float> half = x.GetLower() + x.GetUpper();
        half += Vector128.Shuffle(half, Vector128.Create(2, 3, 0, 1));
        return (half + Vector128.Shuffle(half, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double MaxOf4(Vector256<double> x)
    {
        Vector128<double> half = Vector128.Max(x.GetLower(), x.GetUpper());
        return Vector128.Max(half, Vector128.Shuffle(half, Vector128.Create(1L, 0L))).ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double MaxNativeOf4(Vector256<double> x)
    {
        Vector128<double> half = Vector128.MaxNative(x.GetLower(), x.GetUpper());
        return Vector128.MaxNative(half, Vector128.Shuffle(half, Vector128.Create(1L, 0L))).ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double SumOf4(Vector256<double> x)
    {
        Vector128<double> half = x.GetLower() + x.GetUpper();
        return (half + Vector128.Shuffle(half, Vector128.Create(1L, 0L))).ToScalar();
    }

    /// <summary>One lane-wise step of a reduction, at every register width.</summary>
    private interface ILaneStep
    {
        static abstract Vector512<T> Apply<T>(Vector512<T> left, Vector512<T> right);

        static abstract Vector256<T> Apply<T>(Vector256<T> left, Vector256<T> right);

        static abstract Vector128<T> Apply<T>(Vector128<T> left, Vector128<T> right);
    }

    private readonly struct Maximum : ILaneStep
    {
        public static Vector512<T> Apply<T>(Vector512<T> left, Vector512<T> right) => Vector512.Max(left, right);

        public static Vector256<T> Apply<T>(Vector256<T> left, Vector256<T> right) => Vector256.Max(left, right);

        public static Vector128<T> Apply<T>(Vector128<T> left, Vector128<T> right) => Vector128.Max(left, right);
    }

    private readonly struct NativeMaximum : ILaneStep
    {
        public static Vector512<T> Apply<T>(Vector512<T> left, Vector512<T> right) => Vector512.MaxNative(left, right);

        public static Vector256<T> Apply<T>(Vector256<T> left, Vector256<T> right) => Vector256.MaxNative(left, right);

        public static Vector128<T> Apply<T>(Vector128<T> left, Vector128<T> right) => Vector128.MaxNative(left, right);
    }

    private readonly struct Addition : ILaneStep
    {
        public static Vector512<T> Apply<T>(Vector512<T> left, Vector512<T> right) => left + right;

        public static Vector256<T> Apply<T>(Vector256<T> left, Vector256<T> right) => left + right;

        public static Vector128<T> Apply<T>(Vector128<T> left, Vector128<T> right) => left + right;
    }

    /// <summary><see cref="Vector{T}"/> through the fixed-width register of its size (JIT-time constants).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Across<TStep, T>(Vector<T> x)
        where TStep : ILaneStep
    {
        if (Vector<T>.Count == Vector512<T>.Count)
        {
            return Across<TStep, T>(x.AsVector512());
        }

        if (Vector<T>.Count == Vector256<T>.Count)
        {
            return Across<TStep, T>(x.AsVector256());
        }

        if (Vector<T>.Count == Vector128<T>.Count)
        {
            return Across<TStep, T>(x.AsVector128());
        }

        T result = x[0];
        for (int lane = 1; lane < Vector<T>.Count; lane++)
        {
            result = TStep.Apply(Vector128.Create(result), Vector128.Create(x[lane])).ToScalar();
        }

        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Across<TStep, T>(Vector512<T> x)
        where TStep : ILaneStep => Across<TStep, T>(TStep.Apply(x.GetLower(), x.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Across<TStep, T>(Vector256<T> x)
        where TStep : ILaneStep => Across<TStep, T>(TStep.Apply(x.GetLower(), x.GetUpper()));

    /// <summary>Within 128 bits: the upper pair of lanes onto the lower, then (for four lanes) lane 1 onto lane 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Across<TStep, T>(Vector128<T> x)
        where TStep : ILaneStep
    {
        if (Vector128<T>.Count == 4)
        {
            x = TStep.Apply(x, Vector128.Shuffle(x.As<T, float>(), Vector128.Create(2, 3, 0, 1)).As<float, T>());
            x = TStep.Apply(x, Vector128.Shuffle(x.As<T, float>(), Vector128.Create(1, 0, 3, 2)).As<float, T>());
        }
        else
        {
            x = TStep.Apply(x, Vector128.Shuffle(x.As<T, double>(), Vector128.Create(1L, 0L)).As<double, T>());
        }

        return x.ToScalar();
    }
}
