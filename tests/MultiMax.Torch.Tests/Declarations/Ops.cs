using System;

namespace MultiMax.Torch.Tests.Declarations;

/// <summary>Declarations as a user writes them; the generator emits their modules in this project.</summary>
public static partial class Ops
{
    /// <summary>Constants folded, one learnable Above(2) term; double only, so float32 tensors take the formula path.</summary>
    [Normalizer]
    [Below(1, Coefficient = 2.0, Threshold = -1.0)]
    [Above(2)]
    public static partial void Custom(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    /// <summary>A learnable coefficient with a constant threshold (no <c>ranges</c>), in log space, float only.</summary>
    [Normalizer(Output = NormalizerOutput.LogProbabilities)]
    [Above(3, Threshold = 0.5)]
    [Below(1, Threshold = -0.25)]
    public static partial void LogCubic(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
}

/// <summary>Modulators written as C#: the module owns one parameter per learnable argument, named as in the method.</summary>
public static partial class Ops
{
    /// <summary>Logit soft-capping, in float and double.</summary>
    [Normalizer(Modulator = nameof(SoftCap))]
    public static partial void Capped(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    /// <inheritdoc cref="Capped(ReadOnlySpan{float}, Span{float}, int, ReadOnlySpan{float})"/>
    [Normalizer(Modulator = nameof(SoftCap))]
    public static partial void Capped(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    public static double SoftCap(double x, double cap = 3) => cap * Math.Tanh(x / cap);

    /// <summary>A learnable temperature, float only (float64 tensors take the formula).</summary>
    [Normalizer(Modulator = nameof(Temperature))]
    public static partial void Tempered(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    public static double Temperature(double x, double tau = 1) => x / tau;

    /// <summary>Piecewise with ?:, double only (float32 tensors take the formula).</summary>
    [Normalizer(Modulator = nameof(Hinge))]
    public static partial void Hinged(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    public static double Hinge(double x, double a = 0.5, double t = 0.5) => x < t ? x + a * (t - x) * (t - x) : x;

    /// <summary>MultiMax under a soft cap, with Math.Max and a constant; log output, float only.</summary>
    [Normalizer(Modulator = nameof(CappedMultiMax), Output = NormalizerOutput.LogProbabilities)]
    public static partial void LogCappedMultiMax(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    public static double CappedMultiMax(double x, double a = 0.5, double b = -0.5, double c = 0.5, double d = 0.5, double cap = 4) =>
        cap * Math.Tanh((x + a * Math.Max(b - x, 0) + c * Math.Max(x - d, 0)) / cap);
}

/// <summary>σ with a kink of every kind, to compare the kernels' derivatives with autograd of the printed formula exactly there.</summary>
public static partial class Ops
{
    [Normalizer(Modulator = nameof(Kinks))]
    public static partial void Kinked(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    [Normalizer(Modulator = nameof(Kinks))]
    public static partial void Kinked(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    public static double Kinks(double x, double a = 1.5, double t = 0.5) =>
        a * Math.Max(x, 0) + Math.Abs(x - 1) + Math.Min(x, 2) + (x < t ? x : 2 * x) + Math.Max(x, t);
}
