using System;

namespace MultiMax.Tests.Declarations;

/// <summary>
/// The declaration shapes of docs/attributes.md, plus a few that exercise folding: this test project consumes the
/// generator exactly as a user's project does, so these are implemented at build time.
/// </summary>
public static partial class Ops
{
    [Normalizer(Order = 2)] // the paper's MultiMax
    public static partial void MultiMax2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    [Normalizer(Order = 3)] // cubic terms: a threshold's gradient carries a coefficient times r²
    public static partial void MultiMax3(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    [Normalizer] // a custom modulator, constants folded
    [Below(1, Coefficient = 2.0, Threshold = -1.0)]
    [Above(2)] // learnable: 2 parameters
    public static partial void Custom(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    [Normalizer] // plain SoftMax: no parameters argument
    public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);

    /// <summary>Every kind of term at once: constant and learnable halves, powers 1 to 3, a zero threshold, affine.</summary>
    [Normalizer(Order = 1, Affine = true, Output = NormalizerOutput.LogProbabilities)]
    [Above(3, Coefficient = -0.25, Threshold = 0.0)]
    [Below(2, Threshold = 0.5)]
    [Above(1, Coefficient = 1.0)]
    [Below(1, Coefficient = 0.0)]
    internal static partial void Mixed(ReadOnlySpan<float> values, Span<float> result, int n, ReadOnlySpan<float> weights);

    /// <inheritdoc cref="Mixed(ReadOnlySpan{float}, Span{float}, int, ReadOnlySpan{float})"/>
    [Normalizer(Order = 1, Affine = true, Output = NormalizerOutput.LogProbabilities)]
    [Above(3, Coefficient = -0.25, Threshold = 0.0)]
    [Below(2, Threshold = 0.5)]
    [Above(1, Coefficient = 1.0)]
    [Below(1, Coefficient = 0.0)]
    internal static partial void Mixed(ReadOnlySpan<double> values, Span<double> result, int n, ReadOnlySpan<double> weights);

    /// <summary>Only constants: a fixed modulator that needs no parameters argument.</summary>
    [Normalizer]
    [Below(2, Coefficient = 0.5, Threshold = 0.0)]
    [Above(1, Coefficient = -0.5, Threshold = 1.0)]
    public static partial void Fixed(ReadOnlySpan<double> x, Span<double> y, int rowLength);
}
