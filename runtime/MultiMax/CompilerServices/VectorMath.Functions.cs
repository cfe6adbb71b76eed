using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MultiMax.CompilerServices;

// The elementary functions a modulator written as C# may call (Math.Tanh, Log, Sqrt), at both kernel widths. The BCL
// has Log and Sqrt for every vector type; Tanh it lacks, so it is written here on top of our exponential.
public static partial class VectorMath
{
    // tanh on |x| < SmallTanh is x + x·z·R(z), z = x²: Cephes's minimax fits (a polynomial in single precision, a
    // rational function in double); above it, 1 − 2/(e^(2|x|) + 1) loses nothing to cancellation because tanh ≥ 0.55.
    private const double SmallTanh = 0.625;

    /// <summary>The hyperbolic tangent of each lane, within a few ulp of <see cref="MathF.Tanh"/>; NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Tanh(Vector<float> x)
    {
        Vector<float> a = Vector.Abs(x);
        Vector<float> z = x * x;
        Vector<float> p = Vector.FusedMultiplyAdd(new Vector<float>(-5.70498872745e-3f), z, new Vector<float>(2.06390887954e-2f));
        p = Vector.FusedMultiplyAdd(p, z, new Vector<float>(-5.37397155531e-2f));
        p = Vector.FusedMultiplyAdd(p, z, new Vector<float>(1.33314422036e-1f));
        p = Vector.FusedMultiplyAdd(p, z, new Vector<float>(-3.33332819422e-1f));
        Vector<float> small = Vector.FusedMultiplyAdd(p * z, x, x);
        Vector<float> large = Vector<float>.One - new Vector<float>(2f) / (Exp(a + a) + Vector<float>.One);
        large = Vector.ConditionalSelect(Vector.LessThan(x, Vector<float>.Zero), -large, large);
        return Vector.ConditionalSelect(Vector.LessThan(a, new Vector<float>((float)SmallTanh)), small, large);
    }

    /// <inheritdoc cref="Tanh(Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        Vector512<float> a = Vector512.Abs(x);
        Vector512<float> z = x * x;
        Vector512<float> p = Vector512.FusedMultiplyAdd(Vector512.Create(-5.70498872745e-3f), z, Vector512.Create(2.06390887954e-2f));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(-5.37397155531e-2f));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(1.33314422036e-1f));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(-3.33332819422e-1f));
        Vector512<float> small = Vector512.FusedMultiplyAdd(p * z, x, x);
        Vector512<float> large = Vector512<float>.One - Vector512.Create(2f) / (Exp(a + a) + Vector512<float>.One);
        large = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), -large, large);
        return Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create((float)SmallTanh)), small, large);
    }

    /// <summary>The hyperbolic tangent of each lane, within a few ulp of <see cref="Math.Tanh"/>; NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Tanh(Vector<double> x)
    {
        Vector<double> a = Vector.Abs(x);
        Vector<double> z = x * x;
        Vector<double> p = Vector.FusedMultiplyAdd(new Vector<double>(-9.64399179425052238628e-1), z, new Vector<double>(-9.92877231001918586564e1));
        p = Vector.FusedMultiplyAdd(p, z, new Vector<double>(-1.61468768441708447952e3));
        Vector<double> q = z + new Vector<double>(1.12811678491632931402e2);
        q = Vector.FusedMultiplyAdd(q, z, new Vector<double>(2.23548839060100448583e3));
        q = Vector.FusedMultiplyAdd(q, z, new Vector<double>(4.84406305325125486048e3));
        Vector<double> small = Vector.FusedMultiplyAdd(z * p / q, x, x);
        Vector<double> large = Vector<double>.One - new Vector<double>(2) / (Exp(a + a) + Vector<double>.One);
        large = Vector.ConditionalSelect(Vector.LessThan(x, Vector<double>.Zero), -large, large);
        return Vector.ConditionalSelect(Vector.LessThan(a, new Vector<double>(SmallTanh)), small, large);
    }

    /// <inheritdoc cref="Tanh(Vector{double})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Tanh(Vector512<double> x)
    {
        Vector512<double> a = Vector512.Abs(x);
        Vector512<double> z = x * x;
        Vector512<double> p = Vector512.FusedMultiplyAdd(Vector512.Create(-9.64399179425052238628e-1), z, Vector512.Create(-9.92877231001918586564e1));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(-1.61468768441708447952e3));
        Vector512<double> q = z + Vector512.Create(1.12811678491632931402e2);
        q = Vector512.FusedMultiplyAdd(q, z, Vector512.Create(2.23548839060100448583e3));
        q = Vector512.FusedMultiplyAdd(q, z, Vector512.Create(4.84406305325125486048e3));
        Vector512<double> small = Vector512.FusedMultiplyAdd(z * p / q, x, x);
        Vector512<double> large = Vector512<double>.One - Vector512.Create(2.0) / (Exp(a + a) + Vector512<double>.One);
        large = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<double>.Zero), -large, large);
        return Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create(SmallTanh)), small, large);
    }

    /// <summary>The natural logarithm of each lane (the BCL's): NaN below 0, −∞ at 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Log(Vector<float> x) => Vector.Log(x);

    /// <inheritdoc cref="Log(Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Log(Vector<double> x) => Vector.Log(x);

    /// <inheritdoc cref="Log(Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Log(Vector512<float> x) => Vector512.Log(x);

    /// <inheritdoc cref="Log(Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Log(Vector512<double> x) => Vector512.Log(x);

    /// <summary>The square root of each lane, correctly rounded (one instruction).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Sqrt(Vector<float> x) => Vector.SquareRoot(x);

    /// <inheritdoc cref="Sqrt(Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Sqrt(Vector<double> x) => Vector.SquareRoot(x);

    /// <inheritdoc cref="Sqrt(Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sqrt(Vector512<float> x) => Vector512.Sqrt(x);

    /// <inheritdoc cref="Sqrt(Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Sqrt(Vector512<double> x) => Vector512.Sqrt(x);
}
