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
