using System;
using System.ComponentModel;
using System.Numerics;
using ILGPU;
using ILGPU.Runtime;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// A declaration's row operators on ILGPU, for every σ: the host methods that generated <c>&lt;Name&gt;Gpu</c> classes
/// call (argument checks before any launch, then one group per row) and their kernels. σ comes in as a
/// <c>TModulator</c> struct (<see cref="IGpuModulator{T}"/>); σ is recomputed in each pass rather than stored.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GpuRowKernels
{
    /// <summary>
    /// Normalizes every row of <paramref name="x"/> into <paramref name="y"/>, asynchronously on <paramref name="stream"/>:
    /// probabilities or log-probabilities, as <paramref name="output"/> says.
    /// </summary>
    /// <exception cref="ArgumentException">A view length or the row length is inconsistent, or an output overlaps an input; nothing is launched then.</exception>
    public static void Forward<T, TElement, TModulator>(
        AcceleratorStream stream, ArrayView<T> x, ArrayView<T> y, int rowLength, ArrayView<T> parameters, NormalizerOutput output)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        int rows = GpuNormalizerRunner.CheckForward(x.Length, y.Length, rowLength, parameters.Length, TModulator.ParameterCount);
        GpuNormalizerRunner.CheckForwardOverlaps(x, y, parameters);
        if (rows == 0)
        {
            return;
        }

        Action<ArrayView<T>, ArrayView<T>, int, ArrayView<T>> kernel = output == NormalizerOutput.LogProbabilities
            ? LogForwardKernel<T, TElement, TModulator>
            : ForwardKernel<T, TElement, TModulator>;
        var launch = GpuNormalizerRunner.Load(stream.Accelerator, kernel, accelerator => accelerator.LoadKernel(kernel));
        launch(stream, GpuNormalizerRunner.Rows(stream.Accelerator, rows, rowLength), x, y, rowLength, parameters);
    }

    /// <summary>
    /// The backward pass: writes <paramref name="dx"/>, and when σ has parameters overwrites
    /// <paramref name="parameterGradients"/> with their sums over all rows (this waits for the stream).
    /// </summary>
    /// <exception cref="ArgumentException">A view length or the row length is inconsistent, or an output overlaps an input; nothing is launched then.</exception>
    public static void Backward<T, TElement, TModulator>(
        AcceleratorStream stream, ArrayView<T> x, ArrayView<T> y, ArrayView<T> dy, ArrayView<T> dx, int rowLength,
        ArrayView<T> parameters, ArrayView<T> parameterGradients, NormalizerOutput output)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        int rows = GpuNormalizerRunner.CheckBackward(
            x.Length, y.Length, dy.Length, dx.Length, rowLength, parameters.Length, parameterGradients.Length, TModulator.ParameterCount);
        GpuNormalizerRunner.CheckBackwardOverlaps(x, y, dy, dx, parameters, parameterGradients);
        if (rows == 0)
        {
            if (TModulator.ParameterCount > 0)
            {
                parameterGradients.MemSetToZero(stream);
            }

            return;
        }

        Action<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, ArrayView<T>, ArrayView<T>> kernel = output == NormalizerOutput.LogProbabilities
            ? LogBackwardKernel<T, TElement, TModulator>
            : BackwardKernel<T, TElement, TModulator>;
        var launch = GpuNormalizerRunner.Load(stream.Accelerator, kernel, accelerator => accelerator.LoadKernel(kernel));
        KernelConfig groups = GpuNormalizerRunner.Rows(stream.Accelerator, rows, rowLength);
        if (TModulator.ParameterCount == 0)
        {
            launch(stream, groups, x, y, dy, dx, rowLength, parameters, default);
            return;
        }

        // Each row's group writes its parameter gradients to its own slot; one small kernel then sums the rows.
        using MemoryBuffer1D<T, Stride1D.Dense> partials = stream.Accelerator.Allocate1D<T>((long)rows * TModulator.ParameterCount);
        launch(stream, groups, x, y, dy, dx, rowLength, parameters, partials.View);
        GpuNormalizerRunner.SumRows<T, TElement>(stream, partials.View, parameterGradients, rows);
        // The partial sums are freed when this method returns: wait for the kernels that use them.
        stream.Synchronize();
    }

    /// <summary>The forward to probabilities; one group per row.</summary>
    internal static void ForwardKernel<T, TElement, TModulator>(ArrayView<T> x, ArrayView<T> y, int rowLength, ArrayView<T> parameters)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T> =>
        ForwardRow<T, TElement, TModulator>(x, y, rowLength, parameters, logProbabilities: false);

    /// <summary>The forward to log-probabilities; one group per row.</summary>
    internal static void LogForwardKernel<T, TElement, TModulator>(ArrayView<T> x, ArrayView<T> y, int rowLength, ArrayView<T> parameters)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T> =>
        ForwardRow<T, TElement, TModulator>(x, y, rowLength, parameters, logProbabilities: true);

    /// <summary>
    /// One group's row: max σ, then Σ exp(σ − max σ), then the output, each pass re-reading x.
    /// <paramref name="logProbabilities"/> is a constant in each kernel, so ILGPU compiles only its own branch.
    /// </summary>
    private static void ForwardRow<T, TElement, TModulator>(ArrayView<T> x, ArrayView<T> y, int rowLength, ArrayView<T> parameters, bool logProbabilities)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T>
    {
        long start = (long)Grid.IdxX * rowLength;
        TModulator modulator = default;
        modulator.Load(parameters);
        // A NaN parameter makes σ NaN wherever it is evaluated: every row with an unmasked entry is NaN. The rows say so
        // explicitly, since XMath.Max drops a NaN on CUDA and keeps it on the CPU accelerator.
        bool poisoned = modulator.IsPoisoned;

        // Pass 1: max σ over the unmasked entries (not max x: σ need not be monotone). NaN or +∞ in x, or a NaN σ,
        // poisons the row: its lane's max becomes +∞, so the group's max says it without a second reduction.
        T max = T.NegativeInfinity;
        for (int i = Group.IdxX; i < rowLength; i += Group.DimX)
        {
            T v = x[start + i];
            if (T.IsNaN(v) || T.IsPositiveInfinity(v))
            {
                max = T.PositiveInfinity;
            }
            else if (v != T.NegativeInfinity)
            {
                T s = modulator.Sigma(v);
                max = poisoned || T.IsNaN(s) ? T.PositiveInfinity : TElement.Max(max, s);
            }
        }

        max = TElement.GroupMax(max);
        // −∞: every entry is masked; +∞: poisoned. Either way the output is fixed and no exponential is needed.
        bool live = T.IsFinite(max);

        // Pass 2: Σ exp(σ − max σ), re-reading x and recomputing σ rather than storing it.
        T sum = T.Zero;
        for (int i = Group.IdxX; i < rowLength; i += Group.DimX)
        {
            T v = x[start + i];
            if (live && v != T.NegativeInfinity)
            {
                sum += TElement.Exp(modulator.Sigma(v) - max);
            }
        }

        sum = TElement.GroupSum(sum);

        // Pass 3: probabilities (masked entries and fully masked rows 0), or log-probabilities σ − max − log Σ (masked
        // entries and fully masked rows −∞, log 0). x[i] is read before y[i] is written, so in place is fine.
        T masked = logProbabilities ? T.NegativeInfinity : T.Zero;
        T dead = max == T.NegativeInfinity ? masked : T.NaN;
        if (logProbabilities)
        {
            T logSum = live ? TElement.Log(sum) : T.Zero;
            for (int i = Group.IdxX; i < rowLength; i += Group.DimX)
            {
                T v = x[start + i];
                y[start + i] = !live ? dead : v == T.NegativeInfinity ? masked : modulator.Sigma(v) - max - logSum;
            }
        }
        else
        {
            T inverse = T.One / sum;
            for (int i = Group.IdxX; i < rowLength; i += Group.DimX)
            {
                T v = x[start + i];
                y[start + i] = !live ? dead : v == T.NegativeInfinity ? masked : TElement.Exp(modulator.Sigma(v) - max) * inverse;
            }
        }
    }

    /// <summary>The backward of probabilities; one group per row.</summary>
    internal static void BackwardKernel<T, TElement, TModulator>(
        ArrayView<T> x, ArrayView<T> y, ArrayView<T> dy, ArrayView<T> dx, int rowLength, ArrayView<T> parameters, ArrayView<T> partials)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T> =>
        BackwardRow<T, TElement, TModulator>(x, y, dy, dx, rowLength, parameters, partials, logProbabilities: false);

    /// <summary>The backward of log-probabilities; one group per row.</summary>
    internal static void LogBackwardKernel<T, TElement, TModulator>(
        ArrayView<T> x, ArrayView<T> y, ArrayView<T> dy, ArrayView<T> dx, int rowLength, ArrayView<T> parameters, ArrayView<T> partials)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T> =>
        BackwardRow<T, TElement, TModulator>(x, y, dy, dx, rowLength, parameters, partials, logProbabilities: true);

    /// <summary>
    /// One group's row: Σ g·y (Σ g for log-probabilities), then dx = σ′(x)·gσ and each lane's share of the parameter
    /// gradients, which the group sums into this row's slot of <paramref name="partials"/>.
    /// </summary>
    private static void BackwardRow<T, TElement, TModulator>(
        ArrayView<T> x, ArrayView<T> y, ArrayView<T> dy, ArrayView<T> dx, int rowLength, ArrayView<T> parameters, ArrayView<T> partials, bool logProbabilities)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T>
    {
        int row = Grid.IdxX;
        long start = (long)row * rowLength;
        TModulator modulator = default;
        modulator.Load(parameters);
        bool poisoned = modulator.IsPoisoned;

        // Pass 1: Σ g·y over the unmasked entries (gσ = y·(g − Σ g·y)); for log-probabilities Σ g (gσ = g − exp(y)·Σ g).
        T dot = T.Zero;
        for (int i = Group.IdxX; i < rowLength; i += Group.DimX)
        {
            if (x[start + i] != T.NegativeInfinity)
            {
                dot += logProbabilities ? dy[start + i] : dy[start + i] * y[start + i];
            }
        }

        dot = TElement.GroupSum(dot);
        if (poisoned)
        {
            dot = T.NaN; // every unmasked entry's gσ is NaN
        }

        // Pass 2: dx = σ′(x)·gσ (masked: 0), and this lane's share of every parameter gradient. The shares add up without
        // a branch: an entry with gσ = 0 adds exactly 0, and a poisoned row (gσ = NaN) makes them NaN, as autograd of the
        // formula does.
        for (int i = Group.IdxX; i < rowLength; i += Group.DimX)
        {
            T v = x[start + i];
            if (v == T.NegativeInfinity)
            {
                dx[start + i] = T.Zero;
                continue;
            }

            T yi = y[start + i];
            T gs = logProbabilities ? dy[start + i] - TElement.Exp(yi) * dot : yi * (dy[start + i] - dot);
            dx[start + i] = modulator.InputGradient(v, gs);
        }

        if (TModulator.ParameterCount > 0)
        {
            modulator.WriteParameterSums(partials, row);
        }
    }
}
