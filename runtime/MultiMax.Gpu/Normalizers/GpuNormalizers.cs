using System;

namespace MultiMax.Gpu;

/// <summary>
/// The built-in normalizers with their GPU forms: for each, the generator emits the nested class
/// <c>&lt;Name&gt;Gpu</c> (<c>Forward</c> and <c>Backward</c> on ILGPU array views, float and double) beside the span
/// operators declared here (the same ones as <see cref="MultiMax.Normalizers"/>).
/// </summary>
public static partial class GpuNormalizers
{
    /// <summary>SoftMax: σ is the identity.</summary>
    [Normalizer]
    public static partial void SoftMax(ReadOnlySpan<float> x, Span<float> y, int rowLength);

    /// <inheritdoc cref="SoftMax(ReadOnlySpan{float}, Span{float}, int)"/>
    [Normalizer]
    public static partial void SoftMax(ReadOnlySpan<double> x, Span<double> y, int rowLength);

    /// <summary>The paper's first-order MultiMax: 4 learnable parameters, <c>ts[0..1]</c> then <c>ranges[0..1]</c>.</summary>
    [Normalizer(Order = 1)]
    public static partial void MultiMax1(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    /// <inheritdoc cref="MultiMax1(ReadOnlySpan{float}, Span{float}, int, ReadOnlySpan{float})"/>
    [Normalizer(Order = 1)]
    public static partial void MultiMax1(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    /// <summary>The paper's default second-order MultiMax: 8 learnable parameters, <c>ts[0..3]</c> then <c>ranges[0..3]</c>.</summary>
    [Normalizer(Order = 2)]
    public static partial void MultiMax2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    /// <inheritdoc cref="MultiMax2(ReadOnlySpan{float}, Span{float}, int, ReadOnlySpan{float})"/>
    [Normalizer(Order = 2)]
    public static partial void MultiMax2(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    /// <summary>The authors' V2: a learnable affine map x' = s·x + t, then a first-order σ (6 parameters).</summary>
    [Normalizer(Order = 1, Affine = true)]
    public static partial void MultiMaxV2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    /// <inheritdoc cref="MultiMaxV2(ReadOnlySpan{float}, Span{float}, int, ReadOnlySpan{float})"/>
    [Normalizer(Order = 1, Affine = true)]
    public static partial void MultiMaxV2(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    /// <summary>The log-probabilities of second-order MultiMax.</summary>
    [Normalizer(Order = 2, Output = NormalizerOutput.LogProbabilities)]
    public static partial void LogMultiMax2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    /// <inheritdoc cref="LogMultiMax2(ReadOnlySpan{float}, Span{float}, int, ReadOnlySpan{float})"/>
    [Normalizer(Order = 2, Output = NormalizerOutput.LogProbabilities)]
    public static partial void LogMultiMax2(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);
}
