using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MultiMax.CompilerServices;

/// <summary>
/// Exp and the horizontal maximum of a <see cref="Vector{T}"/>, through the BCL's fixed-width vectors of the same size
/// up to 256 bits, and of a <see cref="Vector512{T}"/> for the generated kernels' 512-bit path (VectorMath.Vector512.cs,
/// which has a float exponential of its own).
/// </summary>
/// <remarks>
/// On .NET 10 the fixed-width Exp takes 0.54–0.91× the time of <see cref="Vector.Exp(Vector{float})"/> on the very
/// same registers (measured on x86-64-v4). The width checks are JIT-time constants, so each call compiles to one
/// direct call.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class VectorMath
{
    /// <summary>e raised to each lane of <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Exp(Vector<float> x)
    {
        if (Vector<float>.Count == Vector256<float>.Count)
        {
            return Vector256.Exp(x.AsVector256()).AsVector();
        }

        if (Vector<float>.Count == Vector512<float>.Count)
        {
            return Exp(x.AsVector512()).AsVector(); // our own: the BCL's 512-bit one stays a call (VectorMath.Vector512.cs)
        }

        if (Vector<float>.Count == Vector128<float>.Count)
        {
            return Vector128.Exp(x.AsVector128()).AsVector();
        }

        return Vector.Exp(x);
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
    /// The largest lane of <paramref name="x"/>, NaN if any lane is NaN. A tree of lane-wise maxima (log₂ lanes
    /// steps) instead of a chain of scalar ones: every row waits for its maximum before its exponentials start.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector<float> x)
    {
        if (Vector<float>.Count == Vector256<float>.Count)
        {
            Vector256<float> v = x.AsVector256();
            return MaxAcross(Vector128.Max(v.GetLower(), v.GetUpper()));
        }

        if (Vector<float>.Count == Vector512<float>.Count)
        {
            return MaxAcross(x.AsVector512());
        }

        if (Vector<float>.Count == Vector128<float>.Count)
        {
            return MaxAcross(x.AsVector128());
        }

        float max = float.NegativeInfinity;
        for (int lane = 0; lane < Vector<float>.Count; lane++)
        {
            max = Math.Max(max, x[lane]);
        }

        return max;
    }

    /// <inheritdoc cref="MaxAcross(Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double MaxAcross(Vector<double> x)
    {
        if (Vector<double>.Count == Vector256<double>.Count)
        {
            Vector256<double> v = x.AsVector256();
            return MaxAcross(Vector128.Max(v.GetLower(), v.GetUpper()));
        }

        if (Vector<double>.Count == Vector512<double>.Count)
        {
            return MaxAcross(x.AsVector512());
        }

        if (Vector<double>.Count == Vector128<double>.Count)
        {
            return MaxAcross(x.AsVector128());
        }

        double max = double.NegativeInfinity;
        for (int lane = 0; lane < Vector<double>.Count; lane++)
        {
            max = Math.Max(max, x[lane]);
        }

        return max;
    }

    private static float MaxAcross(Vector128<float> v)
    {
        v = Vector128.Max(v, Vector128.Shuffle(v, Vector128.Create(2, 3, 0, 1)));
        v = Vector128.Max(v, Vector128.Shuffle(v, Vector128.Create(1, 0, 3, 2)));
        return v.ToScalar();
    }

    private static double MaxAcross(Vector128<double> v) =>
        Vector128.Max(v, Vector128.Shuffle(v, Vector128.Create(1L, 0L))).ToScalar();
}
