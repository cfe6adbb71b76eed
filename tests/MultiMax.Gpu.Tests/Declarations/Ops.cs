using System;

namespace MultiMax.Gpu.Tests.Declarations;

/// <summary>Declarations as a user writes them; the generator emits their GPU classes in this project.</summary>
public static partial class Ops
{
    /// <summary>Constants folded (including a negative constant threshold), a learnable Above(2); double only.</summary>
    [Normalizer]
    [Below(1, Coefficient = 2.0, Threshold = -1.0)]
    [Above(2)]
    [Above(3, Coefficient = -0.25, Threshold = -0.5)]
    public static partial void Custom(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    /// <summary>Affine V2 in log space, float only.</summary>
    [Normalizer(Order = 1, Affine = true, Output = NormalizerOutput.LogProbabilities)]
    public static partial void LogV2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
}

/// <summary>A generic container in the global namespace and the span operator's own parameter names: the GPU class nests the same way.</summary>
internal partial record struct Outer<TTag>
{
    internal static partial class Inner
    {
        /// <summary>Constants only, in log space, double only: no parameters view.</summary>
        [Normalizer(Output = NormalizerOutput.LogProbabilities)]
        [Above(1, Coefficient = 1.0, Threshold = 0.5)]
        internal static partial void Clip(ReadOnlySpan<double> input, Span<double> output, int n);
    }
}
