using System;

namespace MultiMax.GpuQuickstart;

/// <summary>A normalizer of this program's own: the generator gives it CPU kernels and, since this project references MultiMax.Gpu, <c>SharpenGpu</c>.</summary>
public static partial class Attention
{
    /// <summary>
    /// σ(x) = x + a·max(−0.5 − x, 0) + c·max(x − 0.5, 0)², a and c learnable: a negative a pushes entries below −0.5
    /// down and a positive c lifts those above 0.5, which sharpens the distribution.
    /// </summary>
    [Normalizer]
    [Below(1, Threshold = -0.5)]
    [Above(2, Threshold = 0.5)]
    public static partial void Sharpen(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
}
