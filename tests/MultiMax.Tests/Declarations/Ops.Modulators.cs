using System;

namespace MultiMax.Tests.Declarations;

/// <summary>
/// Modulators written as C# (the expression form of docs/attributes.md): logit soft-capping, a learnable temperature, a
/// piecewise σ, a capped MultiMax, and one that calls every supported function. The methods are plain C# too, so the
/// tests' reference evaluates exactly the expression the generator read.
/// </summary>
public static partial class Ops
{
    private const double Epsilon = 0.25;

    [Normalizer(Modulator = nameof(SoftCap))] // σ = cap·tanh(x / cap), as Gemma 2 caps its logits
    public static partial void Capped(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    /// <inheritdoc cref="Capped(ReadOnlySpan{float}, Span{float}, int, ReadOnlySpan{float})"/>
    [Normalizer(Modulator = nameof(SoftCap))]
    public static partial void Capped(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    public static double SoftCap(double x, double cap = 3) => cap * Math.Tanh(x / cap);

    [Normalizer(Modulator = nameof(Temperature))] // a learnable temperature
    public static partial void Tempered(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    public static double Temperature(double x, double tau = 1) => x / tau;

    [Normalizer(Modulator = nameof(Hinge))] // piecewise, with ?:
    public static partial void Hinged(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    public static double Hinge(double x, double a = 0.5, double t = 0.5) => x < t ? x + a * (t - x) * (t - x) : x;

    [Normalizer(Modulator = nameof(CappedMultiMax))] // the paper's MultiMax (order 1) under a soft cap
    public static partial void CappedMultiMax2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    /// <inheritdoc cref="CappedMultiMax2(ReadOnlySpan{float}, Span{float}, int, ReadOnlySpan{float})"/>
    [Normalizer(Modulator = nameof(CappedMultiMax))]
    public static partial void CappedMultiMax2(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    public static double CappedMultiMax(double x, double a = 0.5, double b = -0.5, double c = 0.5, double d = 0.5, double cap = 4) =>
        cap * Math.Tanh((x + a * Math.Max(b - x, 0) + c * Math.Max(x - d, 0)) / cap);

    [Normalizer(Modulator = nameof(Everything), Output = NormalizerOutput.LogProbabilities)] // every function, fixed and learnable
    public static partial void Kitchen(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    /// <inheritdoc cref="Kitchen(ReadOnlySpan{double}, Span{double}, int, ReadOnlySpan{double})"/>
    [Normalizer(Modulator = nameof(Everything), Output = NormalizerOutput.LogProbabilities)]
    public static partial void Kitchen(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    public static double Everything(double x, double s = 0.5, double t = 1)
    {
        return x + s * Math.Sqrt(x * x + Epsilon) - Math.Abs(x) / 4 + Math.Min(x, t) / 2 + Math.Exp(-x * x) * s
               + Math.Pow(x / 4, 3) - Math.Log(1 + x * x) / 8 + (x >= -1 ? 0.25 : -0.25) * Math.Pow(t, -2);
    }

    [Normalizer(Modulator = nameof(Fixed3))] // no learnable argument: no parameters span
    public static partial void FixedCap(ReadOnlySpan<float> x, Span<float> y, int rowLength);

    public static double Fixed3(double x) => 3 * Math.Tanh(x / 3);
}
