using System.ComponentModel;
using static TorchSharp.torch;

namespace MultiMax.Torch.CompilerServices;

/// <summary>
/// What a generated <c>&lt;Name&gt;Module</c> tells the fused operators (<see cref="FusedAttention"/>,
/// <see cref="FusedCrossEntropy"/>): its parameters in the span layout, its formula as torch ops, and its fused
/// kernels per element type.
/// </summary>
/// <remarks>Infrastructure for generated code: not meant to be implemented by hand.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IFusedNormalizer
{
    /// <summary>The learnable parameters in the span layout, cast to <paramref name="dtype"/> differentiably; null when there are none.</summary>
    Tensor? ParameterVector(ScalarType dtype);

    /// <summary>
    /// The normalizer as torch ops over the last axis, from explicit parameters (null when there are none), as
    /// probabilities or, with <paramref name="logarithm"/>, log-probabilities — whatever the declaration's own output.
    /// </summary>
    Tensor Formula(Tensor x, Tensor? parameters, bool logarithm);

    /// <summary>σ alone as torch ops from explicit parameters (null when there are none): −∞ where <paramref name="x"/> is −∞.</summary>
    Tensor Modulate(Tensor x, Tensor? parameters);

    /// <summary>Whether the module's own <c>forward</c> gives log-probabilities (the declaration's <c>Output</c>).</summary>
    bool LogProbabilities { get; }

    /// <summary>The fused float32 attention, or null when the declaration has no float overload.</summary>
    AttentionKernels<float>? FloatAttention { get; }

    /// <summary>The fused float64 attention, or null when the declaration has no double overload.</summary>
    AttentionKernels<double>? DoubleAttention { get; }

    /// <summary>The fused float32 output-layer loss, or null when the declaration has no float overload.</summary>
    CrossEntropyKernels<float>? FloatCrossEntropy { get; }

    /// <summary>The fused float64 output-layer loss, or null when the declaration has no double overload.</summary>
    CrossEntropyKernels<double>? DoubleCrossEntropy { get; }
}
