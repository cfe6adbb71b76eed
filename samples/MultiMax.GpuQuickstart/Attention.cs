using System;

namespace MultiMax.GpuQuickstart;

/// <summary>A normalizer of this program's own: the generator gives it CPU kernels and, since this project references MultiMax.Gpu, <c>SharpenGpu</c>.</summary>
public static partial class Attention
{
    /// <summary>Entries below −0.5 are pushed down (learnable slope), entries above 0.5 lifted (learnable, squared).</summary>
    [Normalizer]
    [Below(1, Threshold = -0.5)]
    [Above(2, Threshold = 0.5)]
    public static partial void Sharpen(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
}
