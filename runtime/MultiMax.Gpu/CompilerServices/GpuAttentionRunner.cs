using System;
using System.ComponentModel;
using ILGPU;
using ILGPU.Runtime;
using MultiMax.CompilerServices;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// What generated <c>&lt;Name&gt;Gpu.Attention</c>/<c>AttentionBackward</c> call: argument checks on the host before
/// any launch (the CPU runner's rules and messages), the tile size and group shape of each pass on this accelerator,
/// and the backward's small helper kernels (D = rowsum(dO ∘ O), the fixed-order sum of the per-group parameter sums).
/// </summary>
/// <remarks>
/// The kernels keep every tile in shared memory: the block of queries, the key and value tiles, the accumulated
/// output (or gradient) rows and a square tile of scores. The tile size is the largest power of two up to
/// <see cref="MaxBlock"/> (<see cref="CpuMaxBlock"/> on the CPU accelerator) whose tiles fit <see cref="SharedBudget"/>,
/// so it shrinks as the head size grows (float, forward: 32 at d = 64, 16 at d = 128, 8 at d = 256).
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GpuAttentionRunner
{
    /// <summary>The largest tile: the kernels keep per-query values in static shared arrays of this length.</summary>
    public const int MaxBlock = 64;

    /// <summary>
    /// Dynamic shared memory a group may use: below the 48 KiB every CUDA device gives a group without an opt-in,
    /// with room for the static per-query arrays.
    /// </summary>
    public const int SharedBudget = 40 * 1024;

    /// <summary>Lanes per group on a GPU: four warps share a tile.</summary>
    public const int GpuGroupSize = 128;

    /// <summary>Lanes per group on ILGPU's CPU accelerator, where every group-wide barrier is costly.</summary>
    public const int CpuGroupSize = 16;

    /// <summary>
    /// The largest tile on ILGPU's CPU accelerator: small, so that the tests' small shapes still span several tiles
    /// and cut them unevenly.
    /// </summary>
    public const int CpuMaxBlock = 8;

    /// <summary>Checks a forward call's views and settings; returns them as the kernels see them.</summary>
    public static GpuAttentionTiles CheckForward<T>(
        ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> output, ArrayView<T> logSumExp,
        AttentionShape shape, ArrayView<T> parameters, int parameterCount, ArrayView<byte> keyPaddingMask, bool causal, double? scale)
        where T : unmanaged
    {
        GpuAttentionTiles settings = CheckCommon(query, key, value, output, logSumExp, shape, parameters, parameterCount, keyPaddingMask, causal, scale);
        foreach ((ArrayView<T> written, string writtenName) in new[] { (output, "output"), (logSumExp, "logSumExp") })
        {
            foreach ((ArrayView<T> input, string inputName) in new[] { (query, "query"), (key, "key"), (value, "value"), (parameters, "parameters") })
            {
                GpuNormalizerRunner.CheckNoOverlap(input, written, inputName, writtenName, inPlace: false);
            }
        }

        GpuNormalizerRunner.CheckNoOverlap(output, logSumExp, "output", "logSumExp", inPlace: false);
        return settings;
    }

    /// <summary>Checks a backward call's views and settings; returns them as the kernels see them.</summary>
    public static GpuAttentionTiles CheckBackward<T>(
        ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> output, ArrayView<T> logSumExp,
        ArrayView<T> outputGradient, ArrayView<T> queryGradient, ArrayView<T> keyGradient, ArrayView<T> valueGradient,
        AttentionShape shape, ArrayView<T> parameters, ArrayView<T> parameterGradients, int parameterCount,
        ArrayView<byte> keyPaddingMask, bool causal, double? scale)
        where T : unmanaged
    {
        GpuAttentionTiles settings = CheckCommon(query, key, value, output, logSumExp, shape, parameters, parameterCount, keyPaddingMask, causal, scale);
        NormalizerArguments.CheckLength(Clamp(outputGradient.Length), shape.QueryLength, "outputGradient", "batch × heads × queries × headSize");
        NormalizerArguments.CheckLength(Clamp(queryGradient.Length), shape.QueryLength, "queryGradient", "batch × heads × queries × headSize");
        NormalizerArguments.CheckLength(Clamp(keyGradient.Length), shape.KeyLength, "keyGradient", "batch × heads × keys × headSize");
        NormalizerArguments.CheckLength(Clamp(valueGradient.Length), shape.KeyLength, "valueGradient", "batch × heads × keys × headSize");
        NormalizerArguments.CheckParameterCount(parameterCount, Clamp(parameterGradients.Length), "parameterGradients");

        // Every output needs memory of its own: no input, and no other output, may share an element with it.
        (ArrayView<T> View, string Name)[] inputs =
        [
            (query, "query"), (key, "key"), (value, "value"), (output, "output"), (logSumExp, "logSumExp"),
            (outputGradient, "outputGradient"), (parameters, "parameters"),
        ];
        (ArrayView<T> View, string Name)[] outputs =
            [(queryGradient, "queryGradient"), (keyGradient, "keyGradient"), (valueGradient, "valueGradient"), (parameterGradients, "parameterGradients")];
        for (int i = 0; i < outputs.Length; i++)
        {
            foreach ((ArrayView<T> input, string inputName) in inputs)
            {
                GpuNormalizerRunner.CheckNoOverlap(input, outputs[i].View, inputName, outputs[i].Name, inPlace: false);
            }

            for (int j = 0; j < i; j++)
            {
                GpuNormalizerRunner.CheckNoOverlap(outputs[j].View, outputs[i].View, outputs[j].Name, outputs[i].Name, inPlace: false);
            }
        }

        return settings;
    }

    /// <summary>
    /// The launch of one pass: one group per (head, block) and the tile size that fits <see cref="SharedBudget"/>.
    /// Throws before anything is launched when even one query and one key do not fit (a head size in the thousands).
    /// </summary>
    public static (KernelConfig Launch, GpuAttentionTiles Tiles) Plan<T>(Accelerator accelerator, GpuAttentionTiles settings, GpuAttentionPass pass)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        (int rowTiles, int squareTiles) = pass switch
        {
            GpuAttentionPass.Forward => (4, 1),     // Q, K, V and O; σ, then P
            GpuAttentionPass.KeysAndValues => (6, 2), // K, V, dK, dV, Q and dO; P and ds
            _ => (5, 1),                            // Q, dO, dQ, K and V; ds
        };

        int size = Interop.SizeOf<T>(), budget = (int)Math.Min(SharedBudget, accelerator.MaxSharedMemoryPerGroup - 4096L);
        long Elements(int block) => (long)rowTiles * block * (settings.HeadSize + 1) + (long)squareTiles * block * block; // rows padded by one
        int block = accelerator.AcceleratorType == AcceleratorType.CPU ? CpuMaxBlock : MaxBlock;
        while (block > 1 && Elements(block) * size > budget)
        {
            block /= 2;
        }

        if (Elements(block) * size > budget)
        {
            throw new ArgumentOutOfRangeException("shape", settings.HeadSize,
                $"A head size of {settings.HeadSize} needs {Elements(1) * size} bytes of shared memory per group; this accelerator's kernels have {budget}.");
        }

        GpuAttentionTiles tiles = settings.WithBlock(block);
        long groups = tiles.HeadCount * (pass == GpuAttentionPass.KeysAndValues ? tiles.KeyBlocks : tiles.QueryBlocks);
        if (groups > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException("shape", groups, $"The call needs {groups} groups of threads; one launch has at most {int.MaxValue}.");
        }

        return (new KernelConfig((int)groups, GroupSize(accelerator), SharedMemoryConfig.RequestDynamic<T>((int)Elements(block))), tiles);
    }

    /// <summary>D_i = Σ_d dO_id·O_id for every query, summed in double: what gσ = P ∘ (dO·Vᵀ − D) subtracts.</summary>
    public static void OutputDots(AcceleratorStream stream, ArrayView<float> outputGradient, ArrayView<float> output, GpuAttentionScratch<float> scratch, int headSize)
    {
        if (scratch.Queries == 0)
        {
            return;
        }

        var launch = GpuNormalizerRunner.Load(stream.Accelerator, OutputDotsFloatKernel,
            static a => a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(OutputDotsFloatKernel));
        launch(stream, (int)scratch.Queries, outputGradient, output, scratch.Delta, headSize);
    }

    /// <inheritdoc cref="OutputDots(AcceleratorStream, ArrayView{float}, ArrayView{float}, GpuAttentionScratch{float}, int)"/>
    public static void OutputDots(AcceleratorStream stream, ArrayView<double> outputGradient, ArrayView<double> output, GpuAttentionScratch<double> scratch, int headSize)
    {
        if (scratch.Queries == 0)
        {
            return;
        }

        var launch = GpuNormalizerRunner.Load(stream.Accelerator, OutputDotsDoubleKernel,
            static a => a.LoadAutoGroupedKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, int>(OutputDotsDoubleKernel));
        launch(stream, (int)scratch.Queries, outputGradient, output, scratch.Delta, headSize);
    }

    /// <summary>
    /// Overwrites <paramref name="parameterGradients"/> with the sums of the key pass's per-group partial sums: one group
    /// per parameter, lanes over the partials in a fixed stride and a fixed reduction tree, so the same bits on every run.
    /// </summary>
    public static void SumGroups(AcceleratorStream stream, GpuAttentionScratch<float> scratch, ArrayView<float> parameterGradients)
    {
        if (parameterGradients.Length == 0)
        {
            return;
        }

        var launch = GpuNormalizerRunner.Load(stream.Accelerator, SumGroupsFloatKernel,
            static a => a.LoadKernel<ArrayView<double>, ArrayView<float>, int>(SumGroupsFloatKernel));
        launch(stream, SumGroupsLaunch(stream.Accelerator, parameterGradients.Length, scratch.KeyGroups), scratch.Partials, parameterGradients, scratch.KeyGroups);
    }

    /// <inheritdoc cref="SumGroups(AcceleratorStream, GpuAttentionScratch{float}, ArrayView{float})"/>
    public static void SumGroups(AcceleratorStream stream, GpuAttentionScratch<double> scratch, ArrayView<double> parameterGradients)
    {
        if (parameterGradients.Length == 0)
        {
            return;
        }

        var launch = GpuNormalizerRunner.Load(stream.Accelerator, SumGroupsDoubleKernel,
            static a => a.LoadKernel<ArrayView<double>, ArrayView<double>, int>(SumGroupsDoubleKernel));
        launch(stream, SumGroupsLaunch(stream.Accelerator, parameterGradients.Length, scratch.KeyGroups), scratch.Partials, parameterGradients, scratch.KeyGroups);
    }

    private static KernelConfig SumGroupsLaunch(Accelerator accelerator, long parameterCount, int groups) =>
        new((int)parameterCount, GpuNormalizerRunner.Rows(accelerator, 1, groups).GroupDim.X);

    internal static void OutputDotsFloatKernel(Index1D query, ArrayView<float> outputGradient, ArrayView<float> output, ArrayView<float> delta, int headSize) =>
        delta[query] = (float)RowDot(outputGradient, output, (long)query.X * headSize, headSize);

    internal static void OutputDotsDoubleKernel(Index1D query, ArrayView<double> outputGradient, ArrayView<double> output, ArrayView<double> delta, int headSize) =>
        delta[query] = RowDot(outputGradient, output, (long)query.X * headSize, headSize);

    private static double RowDot(ArrayView<float> a, ArrayView<float> b, long start, int length)
    {
        double sum = 0;
        for (int c = 0; c < length; c++)
        {
            sum += (double)a[start + c] * b[start + c];
        }

        return sum;
    }

    private static double RowDot(ArrayView<double> a, ArrayView<double> b, long start, int length)
    {
        double sum = 0;
        for (int c = 0; c < length; c++)
        {
            sum += a[start + c] * b[start + c];
        }

        return sum;
    }

    internal static void SumGroupsFloatKernel(ArrayView<double> partials, ArrayView<float> parameterGradients, int groups) =>
        StoreGroupSum(partials, parameterGradients, groups);

    internal static void SumGroupsDoubleKernel(ArrayView<double> partials, ArrayView<double> parameterGradients, int groups) =>
        StoreGroupSum(partials, parameterGradients, groups);

    /// <summary>Parameter Grid.IdxX summed over the groups; lane 0 stores it, rounded once.</summary>
    private static void StoreGroupSum(ArrayView<double> partials, ArrayView<float> parameterGradients, int groups)
    {
        double sum = SumOverGroups(partials, (int)parameterGradients.Length, groups);
        if (Group.IdxX == 0)
        {
            parameterGradients[Grid.IdxX] = (float)sum;
        }
    }

    private static void StoreGroupSum(ArrayView<double> partials, ArrayView<double> parameterGradients, int groups)
    {
        double sum = SumOverGroups(partials, (int)parameterGradients.Length, groups);
        if (Group.IdxX == 0)
        {
            parameterGradients[Grid.IdxX] = sum;
        }
    }

    private static double SumOverGroups(ArrayView<double> partials, int parameterCount, int groups)
    {
        double sum = 0;
        for (int group = Group.IdxX; group < groups; group += Group.DimX)
        {
            sum += partials[(long)group * parameterCount + Grid.IdxX];
        }

        return GroupReduce.Sum(sum);
    }

    /// <summary>Lanes per group: whole warps, <see cref="GpuGroupSize"/> on a GPU and <see cref="CpuGroupSize"/> on the emulator.</summary>
    public static int GroupSize(Accelerator accelerator)
    {
        int warp = Math.Max(1, accelerator.WarpSize);
        int wanted = accelerator.AcceleratorType == AcceleratorType.CPU ? CpuGroupSize : GpuGroupSize;
        return Math.Max(warp, Math.Min(wanted, accelerator.MaxNumThreadsPerGroup) / warp * warp);
    }

    private static GpuAttentionTiles CheckCommon<T>(
        ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> output, ArrayView<T> logSumExp,
        AttentionShape shape, ArrayView<T> parameters, int parameterCount, ArrayView<byte> keyPaddingMask, bool causal, double? scale)
        where T : unmanaged
    {
        AttentionRunner.CheckShape(shape, "shape");
        NormalizerArguments.CheckLength(Clamp(query.Length), shape.QueryLength, "query", "batch × heads × queries × headSize");
        NormalizerArguments.CheckLength(Clamp(key.Length), shape.KeyLength, "key", "batch × heads × keys × headSize");
        NormalizerArguments.CheckLength(Clamp(value.Length), shape.KeyLength, "value", "batch × heads × keys × headSize");
        NormalizerArguments.CheckLength(Clamp(output.Length), shape.QueryLength, "output", "batch × heads × queries × headSize");
        NormalizerArguments.CheckLength(Clamp(logSumExp.Length), shape.LogSumExpLength, "logSumExp", "batch × heads × queries");
        AttentionRunner.CheckMask(keyPaddingMask.Length, shape, "keyPaddingMask");
        NormalizerArguments.CheckParameterCount(parameterCount, Clamp(parameters.Length), "parameters");
        double resolved = AttentionRunner.CheckScale(scale, shape, "scale");
        return new GpuAttentionTiles(shape, resolved, causal, keyPaddingMask.Length > 0, block: 1);
    }

    /// <summary>A view's length as the span checks take it (a longer view is wrong either way).</summary>
    private static int Clamp(long length) => (int)Math.Min(int.MaxValue, length);
}
