using System;
using System.ComponentModel;
using ILGPU;
using ILGPU.Runtime;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// The device memory one fused-loss call needs besides its arguments: per token the max of σ, log Σ exp(σ − max) and
/// the loss (in double); one slot per (group of the class pass, parameter) for the parameter sums; and the total loss.
/// Freed on dispose: wait for the stream first.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class GpuCrossEntropyScratch<T> : IDisposable
    where T : unmanaged
{
    private readonly MemoryBuffer1D<T, Stride1D.Dense> rowMaxima, rowLogSums;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> losses, partials, total;

    /// <summary>Allocates the scratch of one call on <paramref name="accelerator"/>.</summary>
    public GpuCrossEntropyScratch(Accelerator accelerator, GpuCrossEntropySettings settings, int classGroups, int parameterCount)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ClassGroups = classGroups;
        // At least one element each: ILGPU does not release an empty buffer cleanly.
        rowMaxima = accelerator.Allocate1D<T>(Math.Max(1, settings.Tokens));
        rowLogSums = accelerator.Allocate1D<T>(Math.Max(1, settings.Tokens));
        losses = accelerator.Allocate1D<double>(Math.Max(1, settings.Tokens));
        partials = accelerator.Allocate1D<double>(Math.Max(1, (long)classGroups * parameterCount));
        total = accelerator.Allocate1D<double>(1);
    }

    /// <summary>Groups of the class pass: the number of partial sums per parameter.</summary>
    public int ClassGroups { get; }

    /// <summary>Each token's max of σ over the classes.</summary>
    public ArrayView<T> RowMaxima => rowMaxima.View;

    /// <summary>Each token's log Σ exp(σ − max).</summary>
    public ArrayView<T> RowLogSums => rowLogSums.View;

    /// <summary>Each token's loss (0 for an ignored one), in double.</summary>
    public ArrayView<double> Losses => losses.View;

    /// <summary>[class groups, parameters]: each group's parameter sums, in double.</summary>
    public ArrayView<double> Partials => partials.View;

    /// <summary>The sum of the losses.</summary>
    public ArrayView<double> Total => total.View;

    /// <inheritdoc/>
    public void Dispose()
    {
        rowMaxima.Dispose();
        rowLogSums.Dispose();
        losses.Dispose();
        partials.Dispose();
        total.Dispose();
    }
}
