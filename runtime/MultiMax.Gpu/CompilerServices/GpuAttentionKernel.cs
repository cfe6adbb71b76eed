using System.ComponentModel;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>The three kernels of fused attention on a GPU, each with its own tiles in shared memory.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum GpuAttentionKernel
{
    /// <summary>One group per block of queries: the output and the log-sum-exp.</summary>
    Forward,

    /// <summary>One group per block of keys, over every block of queries that sees it: dK, dV and the parameter sums.</summary>
    KeysAndValues,

    /// <summary>One group per block of queries, over every block of keys it sees: dQ.</summary>
    Queries,
}
