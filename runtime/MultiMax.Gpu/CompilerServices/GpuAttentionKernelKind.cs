using System.ComponentModel;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>Which of <see cref="GpuAttentionKernels"/>' three kernels a plan is for: each has its own tiles in shared memory.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum GpuAttentionKernelKind
{
    /// <summary>One group per block of queries: the output and the log-sum-exp.</summary>
    Forward,

    /// <summary>One group per (key/value head, block of keys), over the query heads and blocks of queries that see it: dK, dV and the parameter sums.</summary>
    KeysAndValues,

    /// <summary>One group per block of queries, over every block of keys it sees: dQ.</summary>
    Queries,

    /// <summary>One group per block of the bias's entries, over every score that adds to them: the bias gradient.</summary>
    BiasGradient,
}
