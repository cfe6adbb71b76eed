using System;

namespace MultiMax.Torch;

/// <summary>
/// The built-in normalizers as TorchSharp layers: for each, the generator emits <c>&lt;Name&gt;Module</c> and
/// <c>&lt;Name&gt;Function</c> beside the fused span operators declared here (the same ones as
/// <see cref="MultiMax.Normalizers"/>). float and double overloads give float32 and float64 tensors the fused path.
/// </summary>
public static partial class TorchNormalizers
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

    /// <summary>The log-probabilities of second-order MultiMax, for output layers with a negative log-likelihood.</summary>
    [Normalizer(Order = 2, Output = NormalizerOutput.LogProbabilities)]
    public static partial void LogMultiMax2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    /// <inheritdoc cref="LogMultiMax2(ReadOnlySpan{float}, Span{float}, int, ReadOnlySpan{float})"/>
    [Normalizer(Order = 2, Output = NormalizerOutput.LogProbabilities)]
    public static partial void LogMultiMax2(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

    /// <summary>A fresh layer of the given kind, initialised as the reference code does.</summary>
    public static TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> Create(NormalizerKind kind) => kind switch
    {
        NormalizerKind.SoftMax => new SoftMaxModule(),
        NormalizerKind.MultiMax1 => new MultiMax1Module(),
        NormalizerKind.MultiMax2 => new MultiMax2Module(),
        NormalizerKind.MultiMaxV2 => new MultiMaxV2Module(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a normalizer kind."),
    };
}
