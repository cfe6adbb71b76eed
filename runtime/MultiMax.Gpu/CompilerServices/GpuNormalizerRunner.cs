using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.ComponentModel;
using System.Numerics;
using System.Reflection;
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// What the runtime's GPU kernels' host methods share: argument checks on the host before any launch, the launch shape
/// (one group per row), the per-accelerator kernel cache, and the final reductions of parameter gradients.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GpuNormalizerRunner
{
    /// <summary>The largest group launched: enough lanes to stream a long row, few enough to fill the device with rows.</summary>
    public const int MaxGroupSize = 256;

    private static readonly ConditionalWeakTable<Accelerator, ConcurrentDictionary<MethodInfo, Lazy<Delegate>>> Kernels = new();

    /// <summary>Checks a forward call's views; returns the number of rows.</summary>
    public static int CheckForward(long xLength, long yLength, int rowLength, long parametersLength, int parameterCount)
    {
        int rows = CheckRows(xLength, rowLength);
        CheckSame(xLength, yLength, "y");
        CheckParameters(parametersLength, parameterCount, "parameters");
        return rows;
    }

    /// <summary>Checks a backward call's views; returns the number of rows.</summary>
    public static int CheckBackward(
        long xLength, long yLength, long dyLength, long dxLength, int rowLength,
        long parametersLength, long parameterGradientsLength, int parameterCount)
    {
        int rows = CheckRows(xLength, rowLength);
        CheckSame(xLength, yLength, "y");
        CheckSame(xLength, dyLength, "dy");
        CheckSame(xLength, dxLength, "dx");
        CheckParameters(parametersLength, parameterCount, "parameters");
        CheckParameters(parameterGradientsLength, parameterCount, "parameterGradients");
        return rows;
    }

    /// <summary>
    /// Checks that the forward's output shares no memory with its inputs: <paramref name="y"/> may be <paramref name="x"/>
    /// itself (in place) but not overlap it at an offset, and may not overlap <paramref name="parameters"/> at all.
    /// </summary>
    public static void CheckForwardOverlaps<T>(ArrayView<T> x, ArrayView<T> y, ArrayView<T> parameters)
        where T : unmanaged
    {
        CheckNoOverlap(x, y, "x", "y", inPlace: true);
        CheckNoOverlap(parameters, y, "parameters", "y", inPlace: false);
    }

    /// <summary>
    /// Checks that the backward's outputs share no memory with its inputs: <paramref name="dx"/> may be
    /// <paramref name="x"/>, <paramref name="y"/> or <paramref name="dy"/> itself, and <paramref name="parameterGradients"/>
    /// overlaps nothing.
    /// </summary>
    public static void CheckBackwardOverlaps<T>(
        ArrayView<T> x, ArrayView<T> y, ArrayView<T> dy, ArrayView<T> dx, ArrayView<T> parameters, ArrayView<T> parameterGradients)
        where T : unmanaged
    {
        CheckNoOverlap(x, dx, "x", "dx", inPlace: true);
        CheckNoOverlap(y, dx, "y", "dx", inPlace: true);
        CheckNoOverlap(dy, dx, "dy", "dx", inPlace: true);
        CheckNoOverlap(parameters, dx, "parameters", "dx", inPlace: false);
        foreach ((ArrayView<T> input, string name) in new[] { (x, "x"), (y, "y"), (dy, "dy"), (dx, "dx"), (parameters, "parameters") })
        {
            CheckNoOverlap(input, parameterGradients, name, "parameterGradients", inPlace: false);
        }
    }

    /// <summary>
    /// Checks that no output of a fused operator shares an element with an input or with another output (they offer no
    /// in-place work); the first overlap found is an <see cref="ArgumentException"/> naming the output.
    /// </summary>
    internal static void CheckOutputsSeparate<T>((ArrayView<T> View, string Name)[] inputs, (ArrayView<T> View, string Name)[] outputs)
        where T : unmanaged
    {
        for (int i = 0; i < outputs.Length; i++)
        {
            foreach ((ArrayView<T> input, string inputName) in inputs)
            {
                CheckNoOverlap(input, outputs[i].View, inputName, outputs[i].Name, inPlace: false);
            }

            for (int j = 0; j < i; j++)
            {
                CheckNoOverlap(outputs[j].View, outputs[i].View, outputs[j].Name, outputs[i].Name, inPlace: false);
            }
        }
    }

    /// <summary>
    /// One group per row. Short rows get the smallest whole number of warps that covers them, so that no lane idles
    /// through the reductions; long rows get <see cref="MaxGroupSize"/> lanes (or the device's maximum).
    /// </summary>
    public static KernelConfig Rows(Accelerator accelerator, int rows, int rowLength)
    {
        int warp = Math.Max(1, accelerator.WarpSize);
        int limit = Math.Max(warp, Math.Min(MaxGroupSize, accelerator.MaxNumThreadsPerGroup) / warp * warp);
        int group = Math.Min(limit, (rowLength + warp - 1) / warp * warp);
        return new KernelConfig(rows, group);
    }

    /// <summary>The kernel compiled for this accelerator: compiled on first use, then reused; thread-safe.</summary>
    public static TLauncher Load<TLauncher>(Accelerator accelerator, Delegate kernel, Func<Accelerator, TLauncher> compile)
        where TLauncher : Delegate
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ObjectDisposedException.ThrowIf(accelerator.IsDisposed, accelerator);
        ConcurrentDictionary<MethodInfo, Lazy<Delegate>> cache = Kernels.GetValue(accelerator, static accelerator =>
        {
            // The accelerator disposes its kernels; forget them with it.
            accelerator.Disposed += static (sender, _) => Kernels.Remove((Accelerator)sender!);
            return new();
        });
        Lazy<Delegate> entry = cache.GetOrAdd(kernel.Method, _ => new Lazy<Delegate>(() => compile(accelerator)));
        try
        {
            return (TLauncher)entry.Value;
        }
        catch
        {
            // A Lazy keeps its exception: forget the entry, so that a later call compiles afresh.
            cache.TryRemove(new KeyValuePair<MethodInfo, Lazy<Delegate>>(kernel.Method, entry));
            throw;
        }
    }

    /// <summary>How many kernels are cached for <paramref name="accelerator"/> (0 once it is disposed).</summary>
    internal static int CachedKernelCount(Accelerator accelerator) =>
        Kernels.TryGetValue(accelerator, out ConcurrentDictionary<MethodInfo, Lazy<Delegate>>? cache) ? cache.Count : 0;

    /// <summary>Writes Σ over rows of the per-row parameter gradients (rows × parameterGradients.Length, row-major) into <paramref name="parameterGradients"/>.</summary>
    internal static void SumRows<T, TElement>(AcceleratorStream stream, ArrayView<T> partials, ArrayView<T> parameterGradients, int rows)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
    {
        var sum = Load(stream.Accelerator, SumRowsKernel<T, TElement>, static a => a.LoadKernel<ArrayView<T>, ArrayView<T>, int>(SumRowsKernel<T, TElement>));
        sum(stream, new KernelConfig((int)parameterGradients.Length, Rows(stream.Accelerator, 1, rows).GroupDim.X), partials, parameterGradients, rows);
    }

    /// <summary>
    /// Overwrites <paramref name="sums"/> with the sums over <paramref name="groups"/> of a fused kernel's per-group
    /// partial sums ([groups, sums.Length] in double, row-major): one group per sum, lanes over the partials in a fixed
    /// stride and a fixed reduction tree, rounded once, so the same bits on every run.
    /// </summary>
    public static void SumPartials(AcceleratorStream stream, ArrayView<double> partials, int groups, ArrayView<float> sums) =>
        SumPartials<float, GpuSingle>(stream, partials, groups, sums);

    /// <inheritdoc cref="SumPartials(AcceleratorStream, ArrayView{double}, int, ArrayView{float})"/>
    public static void SumPartials(AcceleratorStream stream, ArrayView<double> partials, int groups, ArrayView<double> sums) =>
        SumPartials<double, GpuDouble>(stream, partials, groups, sums);

    /// <inheritdoc cref="SumPartials(AcceleratorStream, ArrayView{double}, int, ArrayView{float})"/>
    internal static void SumPartials<T, TElement>(AcceleratorStream stream, ArrayView<double> partials, int groups, ArrayView<T> sums)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
    {
        if (sums.Length == 0)
        {
            return;
        }

        LoadSumPartials<T, TElement>(stream.Accelerator)(
            stream, new KernelConfig((int)sums.Length, Rows(stream.Accelerator, 1, groups).GroupDim.X), partials, sums, groups);
    }

    /// <summary>The kernel of <see cref="SumPartials{T, TElement}"/>, compiled for <paramref name="accelerator"/> (a fused backward loads it before its first launch).</summary>
    internal static Action<AcceleratorStream, KernelConfig, ArrayView<double>, ArrayView<T>, int> LoadSumPartials<T, TElement>(Accelerator accelerator)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T> =>
        Load(accelerator, SumPartialsKernel<T, TElement>, static a => a.LoadKernel<ArrayView<double>, ArrayView<T>, int>(SumPartialsKernel<T, TElement>));

    internal static void SumPartialsKernel<T, TElement>(ArrayView<double> partials, ArrayView<T> sums, int groups)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
    {
        double sum = SumOverGroups(partials, (int)sums.Length, groups);
        if (Group.IdxX == 0)
        {
            sums[Grid.IdxX] = TElement.FromDouble(sum);
        }
    }

    /// <summary>Column Grid.IdxX of the partials, summed over the groups by this group's lanes.</summary>
    private static double SumOverGroups(ArrayView<double> partials, int count, int groups)
    {
        double sum = 0;
        for (int group = Group.IdxX; group < groups; group += Group.DimX)
        {
            sum += partials[(long)group * count + Grid.IdxX];
        }

        return GroupReduce.Sum(sum);
    }

    /// <summary>One group per parameter: partials holds rows × parameterCount values, row-major.</summary>
    internal static void SumRowsKernel<T, TElement>(ArrayView<T> partials, ArrayView<T> parameterGradients, int rows)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
    {
        int parameter = Grid.IdxX, count = (int)parameterGradients.Length;
        T sum = T.Zero;
        for (int row = Group.IdxX; row < rows; row += Group.DimX)
        {
            sum += partials[(long)row * count + parameter];
        }

        sum = TElement.GroupSum(sum);
        if (Group.IdxX == 0)
        {
            parameterGradients[parameter] = sum;
        }
    }

    /// <summary>Checks that <paramref name="length"/> is a whole number of rows; returns that number.</summary>
    internal static int CheckRows(long length, int rowLength)
    {
        if (rowLength <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rowLength), rowLength, "The row length must be positive.");
        }

        if (length % rowLength != 0)
        {
            throw new ArgumentException($"x has {length} entr{(length == 1 ? "y" : "ies")}, which is not a whole number of rows of {rowLength}.", "x");
        }

        long rows = length / rowLength;
        if (rows > int.MaxValue)
        {
            throw new ArgumentException($"x has {rows} rows; one launch handles at most {int.MaxValue}.", "x");
        }

        return (int)rows;
    }

    /// <summary>
    /// Views of different buffers never overlap; views of one buffer overlap where their element ranges meet (a view's
    /// start within its buffer is ILGPU's public <see cref="IContiguousArrayView.Index"/>).
    /// </summary>
    internal static void CheckNoOverlap<T>(ArrayView<T> input, ArrayView<T> output, string inputName, string outputName, bool inPlace)
        where T : unmanaged
    {
        if (input.Length == 0 || output.Length == 0 || !ReferenceEquals(((IArrayView)input).Buffer, ((IArrayView)output).Buffer))
        {
            return;
        }

        long inputStart = ((IContiguousArrayView)input).Index, outputStart = ((IContiguousArrayView)output).Index;
        bool overlaps = inputStart < outputStart + output.Length && outputStart < inputStart + input.Length;
        bool same = inputStart == outputStart && input.Length == output.Length;
        if (overlaps && !(inPlace && same))
        {
            throw new ArgumentException(
                inPlace
                    ? $"{outputName} overlaps {inputName} at an offset of {outputStart - inputStart} element{(outputStart - inputStart is 1 or -1 ? "" : "s")}: pass the same view for in-place work, or separate memory."
                    : $"{outputName} overlaps {inputName}: it needs memory of its own.",
                outputName);
        }
    }

    private static void CheckSame(long expected, long actual, string name)
    {
        if (expected != actual)
        {
            throw new ArgumentException($"{name} has {actual} entr{(actual == 1 ? "y" : "ies")} but x has {expected}: they must be equal.", name);
        }
    }

    private static void CheckParameters(long actual, int expected, string name)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"{name} has {actual} entr{(actual == 1 ? "y" : "ies")} but the normalizer has {expected} learnable parameter{(expected == 1 ? "" : "s")}.", name);
        }
    }
}
