using System;

namespace MultiMax;

/// <summary>
/// The built-in normalizers, declared with MultiMax's own attributes and implemented by its generator.
/// Each works row-wise on <c>x.Length / rowLength</c> rows and has a generated <c>&lt;Name&gt;Backward</c>.
/// </summary>
/// <remarks>
/// Parameter layouts: <c>MultiMax1</c> takes <c>[t_b, t_d, b, d]</c>; <c>MultiMax2</c> the reference code's
/// <c>ts[0..3]</c> then <c>ranges[0..3]</c>; <c>MultiMaxV2</c> <c>[t_b, t_d, b, d, scale, shift]</c>.
/// All zeros (with scale 1 for V2) make every MultiMax equal to SoftMax.
/// </remarks>
public static partial class Normalizers
{
    /// <summary>SoftMax along each row: <c>y = exp(x − max x) / Σ exp(x − max x)</c>.</summary>
    [Normalizer]
    public static partial void SoftMax(ReadOnlySpan<float> x, Span<float> y, int rowLength);

    /// <inheritdoc cref="SoftMax(ReadOnlySpan{float}, Span{float}, int)"/>
    [Normalizer]
    public static partial void SoftMax(ReadOnlySpan<double> x, Span<double> y, int rowLength);

    /// <summary>LogSoftMax along each row: <c>y = x − max x − log Σ exp(x − max x)</c>.</summary>
    [Normalizer(Output = NormalizerOutput.LogProbabilities)]
    public static partial void LogSoftMax(ReadOnlySpan<float> x, Span<float> y, int rowLength);

    /// <inheritdoc cref="LogSoftMax(ReadOnlySpan{float}, Span{float}, int)"/>
    [Normalizer(Output = NormalizerOutput.LogProbabilities)]
    public static partial void LogSoftMax(ReadOnlySpan<double> x, Span<double> y, int rowLength);

    /// <summary>
    /// First-order MultiMax: <c>SoftMax(σ(x))</c> with <c>σ(x) = x + p0·max(p2 − x, 0) + p1·max(x − p3, 0)</c>.
    /// </summary>
    [Normalizer(Order = 1)]
    public static partial void MultiMax1(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    /// <inheritdoc cref="MultiMax1(ReadOnlySpan{float}, Span{float}, int, ReadOnlySpan{float})"/>
    [Normalizer(Order = 1)]
    public static partial void MultiMax1(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    /// <summary>First-order MultiMax, as log-probabilities.</summary>
    [Normalizer(Order = 1, Output = NormalizerOutput.LogProbabilities)]
    public static partial void LogMultiMax1(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    /// <inheritdoc cref="LogMultiMax1(ReadOnlySpan{float}, Span{float}, int, ReadOnlySpan{float})"/>
    [Normalizer(Order = 1, Output = NormalizerOutput.LogProbabilities)]
    public static partial void LogMultiMax1(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    /// <summary>
    /// The paper's MultiMax (order 2): <c>SoftMax(σ(x))</c> with
    /// <c>σ(x) = x + ts0·relu(r0 − x) + ts1·relu(x − r1) + ts2·relu(r2 − x)² + ts3·relu(x − r3)²</c>,
    /// parameters <c>[ts0..ts3, r0..r3]</c>.
    /// </summary>
    [Normalizer(Order = 2)]
    public static partial void MultiMax2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    /// <inheritdoc cref="MultiMax2(ReadOnlySpan{float}, Span{float}, int, ReadOnlySpan{float})"/>
    [Normalizer(Order = 2)]
    public static partial void MultiMax2(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    /// <summary>The paper's MultiMax (order 2), as log-probabilities.</summary>
    [Normalizer(Order = 2, Output = NormalizerOutput.LogProbabilities)]
    public static partial void LogMultiMax2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    /// <inheritdoc cref="LogMultiMax2(ReadOnlySpan{float}, Span{float}, int, ReadOnlySpan{float})"/>
    [Normalizer(Order = 2, Output = NormalizerOutput.LogProbabilities)]
    public static partial void LogMultiMax2(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    /// <summary>
    /// The authors' MultiMax V2: first-order σ after a learnable affine map <c>x' = scale·x + shift</c>,
    /// parameters <c>[p0, p1, p2, p3, scale, shift]</c>.
    /// </summary>
    [Normalizer(Order = 1, Affine = true)]
    public static partial void MultiMaxV2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    /// <inheritdoc cref="MultiMaxV2(ReadOnlySpan{float}, Span{float}, int, ReadOnlySpan{float})"/>
    [Normalizer(Order = 1, Affine = true)]
    public static partial void MultiMaxV2(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    /// <summary>MultiMax V2, as log-probabilities.</summary>
    [Normalizer(Order = 1, Affine = true, Output = NormalizerOutput.LogProbabilities)]
    public static partial void LogMultiMaxV2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    /// <inheritdoc cref="LogMultiMaxV2(ReadOnlySpan{float}, Span{float}, int, ReadOnlySpan{float})"/>
    [Normalizer(Order = 1, Affine = true, Output = NormalizerOutput.LogProbabilities)]
    public static partial void LogMultiMaxV2(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);
}
