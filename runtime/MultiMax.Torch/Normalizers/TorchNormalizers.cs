using System;

namespace MultiMax.Torch;

/// <summary>
/// The built-in normalizers of <see cref="Normalizers"/> as TorchSharp layers: for each, the generator emits
/// <c>&lt;Name&gt;Module</c> and <c>&lt;Name&gt;Function</c> here, running the span operators declared there (float and
/// double, so float32 and float64 tensors take the fused path). They are declared once, in <see cref="Normalizers"/>,
/// and compiled once.
/// </summary>
[NormalizersFrom(typeof(Normalizers))]
public static partial class TorchNormalizers
{
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
