using System.ComponentModel;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>Which of <see cref="GpuCrossEntropyKernels"/>' three kernels a plan is for: each has its own tiles in shared memory.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum GpuCrossEntropyKernelKind
{
    /// <summary>One group per block of tokens: each token's max of σ, log Σ exp(σ − max) and loss.</summary>
    Statistics,

    /// <summary>One group per block of classes, over every block of tokens: dW, db and the parameter sums.</summary>
    Classes,

    /// <summary>One group per block of tokens, over every block of classes: dh.</summary>
    Tokens,
}
