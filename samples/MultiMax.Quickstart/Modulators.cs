using System;
using MultiMax;

namespace MultiMax.Quickstart;

/// <summary>The normalizers this sample declares: MultiMax generates their bodies at build time.</summary>
public static partial class Modulators
{
    /// <summary>
    /// A fixed first-order MultiMax shaped like the paper's learned modulators: σ has slope 3 below 1.5, so small
    /// entries are pushed apart and down (low temperature), and slope 0.5 above 1.5, so that several large entries
    /// share their mass instead of the largest taking it (high temperature).
    /// </summary>
    [Normalizer]
    [Below(1, Coefficient = -2.0, Threshold = 1.5)]
    [Above(1, Coefficient = -0.5, Threshold = 1.5)]
    public static partial void Sharpen(ReadOnlySpan<float> x, Span<float> y, int rowLength);

    /// <summary>The paper's learnable MultiMax of order 2: eight parameters, ts[0..3] then ranges[0..3].</summary>
    [Normalizer(Order = 2)]
    public static partial void Learnable(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    /// <summary>
    /// σ written as C#: logit soft-capping (Gemma 2), <c>σ = cap·tanh(x / cap)</c> with <c>cap</c> learnable. The
    /// generator reads <see cref="SoftCap"/>'s expression, differentiates it, and prints it into the kernels.
    /// </summary>
    [Normalizer(Modulator = nameof(SoftCap))]
    public static partial void Capped(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    /// <summary>σ of <see cref="Capped"/>: x first, then the learnable cap, initially 2.</summary>
    public static double SoftCap(double x, double cap = 2) => cap * Math.Tanh(x / cap);
}
