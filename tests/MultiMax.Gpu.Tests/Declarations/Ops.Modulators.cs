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

    /// <summary>Every function of the expression language, with a ?: and a constant field; log output, double only.</summary>
    [Normalizer(Modulator = nameof(Everything), Output = NormalizerOutput.LogProbabilities)]
    public static partial void Kitchen(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    private const double Epsilon = 0.25;

    public static double Everything(double x, double s = 0.5, double t = 1) =>
        x + s * Math.Sqrt(x * x + Epsilon) - Math.Abs(x) / 4 + Math.Min(x, t) / 2 + Math.Exp(-x * x) * s
        + Math.Pow(x / 4, 3) - Math.Log(1 + x * x) / 8 + (x >= -1 ? 0.25 : -0.25) * Math.Pow(t, -2);
}
