using System;
using System.ComponentModel;
using ILGPU;
using ILGPU.Runtime;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// The device memory one fused-attention backward needs besides its arguments: D = rowsum(dO ∘ O) per query, and one
/// slot per (group of the key pass, parameter) for the parameter sums. Freed on dispose: wait for the stream first.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class GpuAttentionScratch<T> : IDisposable
    where T : unmanaged
{
    private readonly MemoryBuffer1D<T, Stride1D.Dense> delta;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> partials;

    /// <summary>Allocates the scratch of one backward call on <paramref name="accelerator"/>.</summary>
    public GpuAttentionScratch(Accelerator accelerator, GpuAttentionSettings settings, int keyGroups, int parameterCount)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        Queries = settings.HeadCount * settings.Queries;
        KeyGroups = keyGroups;
        // At least one element each: ILGPU does not release an empty buffer cleanly.
        delta = accelerator.Allocate1D<T>(Math.Max(1, Queries));
        partials = accelerator.Allocate1D<double>(Math.Max(1, (long)keyGroups * parameterCount));
    }

    /// <summary>Queries over all heads: the length of <see cref="Delta"/> that is used.</summary>
    public long Queries { get; }

    /// <summary>Groups of the key pass: the number of partial sums per parameter.</summary>
    public int KeyGroups { get; }

    /// <summary>D_i = Σ_d dO_id·O_id, one per query.</summary>
    public ArrayView<T> Delta => delta.View;

    /// <summary>[key groups, parameters]: each group's sums, in double.</summary>
    public ArrayView<double> Partials => partials.View;

    /// <inheritdoc/>
    public void Dispose()
    {
        delta.Dispose();
        partials.Dispose();
    }
}
