using System;

namespace MultiMax.Gpu.Tests.Declarations;

/// <summary>Modulators written as C#: their kernels print σ, σ′ and ∂σ/∂θ with ILGPU's XMath.</summary>
public static partial class Ops
{
    /// <summary>Logit soft-capping, in float and double.</summary>
    [Normalizer(Modulator = nameof(SoftCap))]
    public static partial void Capped(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    /// <inheritdoc cref="Capped(ReadOnlySpan{float}, Span{float}, int, ReadOnlySpan{float})"/>
    [Normalizer(Modulator = nameof(SoftCap))]
    public static partial void Capped(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    public static double SoftCap(double x, double cap = 3) => cap * Math.Tanh(x / cap);

    /// <summary>A learnable temperature, float only.</summary>
    [Normalizer(Modulator = nameof(Temperature))]
    public static partial void Tempered(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    public static double Temperature(double x, double tau = 1) => x / tau;

    /// <summary>Piecewise with ?:, double only.</summary>
    [Normalizer(Modulator = nameof(Hinge))]
    public static partial void Hinged(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    public static double Hinge(double x, double a = 0.5, double t = 0.5) => x < t ? x + a * (t - x) * (t - x) : x;

    /// <summary>MultiMax (order 1) under a soft cap, with Math.Max, in float and double.</summary>
    [Normalizer(Modulator = nameof(CappedMultiMax))]
    public static partial void CappedMultiMax2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    /// <inheritdoc cref="CappedMultiMax2(ReadOnlySpan{float}, Span{float}, int, ReadOnlySpan{float})"/>
    [Normalizer(Modulator = nameof(CappedMultiMax))]
    public static partial void CappedMultiMax2(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    public static double CappedMultiMax(double x, double a = 0.5, double b = -0.5, double c = 0.5, double d = 0.5, double cap = 4) =>
        cap * Math.Tanh((x + a * Math.Max(b - x, 0) + c * Math.Max(x - d, 0)) / cap);

    /// <summary>Every function of the expression language, with a ?: and a constant field; log output, double only.</summary>
    [Normalizer(Modulator = nameof(Everything), Output = NormalizerOutput.LogProbabilities)]
    public static partial void Kitchen(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    private const double Epsilon = 0.25;

    public static double Everything(double x, double s = 0.5, double t = 1) =>
        x + s * Math.Sqrt(x * x + Epsilon) - Math.Abs(x) / 4 + Math.Min(x, t) / 2 + Math.Exp(-x * x) * s
        + Math.Pow(x / 4, 3) - Math.Log(1 + x * x) / 8 + (x >= -1 ? 0.25 : -0.25) * Math.Pow(t, -2);
}
