using System;
using System.ComponentModel;
using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using MultiMax.CompilerServices;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// What <see cref="GpuAttentionKernels"/>' host methods call: argument checks on the host before
/// any launch (the CPU runner's rules and messages), the tile size and group shape of each pass on this accelerator,
/// and the backward's D = rowsum(dO ∘ O).
/// </summary>
/// <remarks>
/// The kernels keep every tile in shared memory: the block of queries, the key and value tiles, the accumulated
/// output (or gradient) rows and a square tile of scores; <see cref="GpuTiles"/> sizes them.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GpuAttentionRunner
{
    /// <summary>Checks a forward call's views and settings; returns them as the kernels see them.</summary>
    public static GpuAttentionSettings CheckForward<T>(
        ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> output, ArrayView<T> logSumExp,
        AttentionShape shape, ArrayView<T> parameters, int parameterCount, GpuAttentionOptions<T> options)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GpuAttentionSettings settings = CheckCommon(query, key, value, output, logSumExp, shape, parameters, parameterCount, options);
        GpuNormalizerRunner.CheckOutputsSeparate(
            [(query, "query"), (key, "key"), (value, "value"), (parameters, "parameters"), (options.Sinks, "options.Sinks"), (options.Bias, "options.Bias")],
            [(output, "output"), (logSumExp, "logSumExp")]);
        return settings;
    }

    /// <summary>Checks a backward call's views and settings; returns them as the kernels see them.</summary>
    public static GpuAttentionSettings CheckBackward<T>(
        ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> output, ArrayView<T> logSumExp,
        ArrayView<T> outputGradient, ArrayView<T> queryGradient, ArrayView<T> keyGradient, ArrayView<T> valueGradient,
        AttentionShape shape, ArrayView<T> parameters, ArrayView<T> parameterGradients, int parameterCount, GpuAttentionOptions<T> options,
        ArrayView<T> biasGradient, ArrayView<T> sinkGradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GpuAttentionSettings settings = CheckCommon(query, key, value, output, logSumExp, shape, parameters, parameterCount, options);
        AttentionRunner.CheckOptionalGradient(biasGradient.Length, options.Bias.Length, nameof(biasGradient), "options.Bias");
        AttentionRunner.CheckOptionalGradient(sinkGradient.Length, options.Sinks.Length, nameof(sinkGradient), "options.Sinks");
        AttentionRunner.CheckGradientLengths(shape, outputGradient.Length, queryGradient.Length, keyGradient.Length, valueGradient.Length,
            "outputGradient", "queryGradient", "keyGradient", "valueGradient");
        NormalizerArguments.CheckParameterCount(parameterCount, parameterGradients.Length, "parameterGradients");

        // Every output needs memory of its own: no input, and no other output, may share an element with it.
        GpuNormalizerRunner.CheckOutputsSeparate(
            [(query, "query"), (key, "key"), (value, "value"), (output, "output"), (logSumExp, "logSumExp"), (outputGradient, "outputGradient"), (parameters, "parameters"), (options.Sinks, "options.Sinks"), (options.Bias, "options.Bias")],
            [(queryGradient, "queryGradient"), (keyGradient, "keyGradient"), (valueGradient, "valueGradient"), (parameterGradients, "parameterGradients"), (sinkGradient, "sinkGradient"), (biasGradient, "biasGradient")]);
        return settings;
    }

    /// <summary>
    /// The launch of one pass: one group per (head, block) and the tile size that fits (<see cref="GpuTiles"/>) beside
    /// the pass's static shared memory (its per-query arrays and, in the key pass, one group reduction per parameter).
    /// Throws before anything is launched when even two queries and two keys do not fit (a head size in the thousands).
    /// </summary>
    public static (KernelConfig Launch, GpuAttentionSettings Tiles) Plan<T>(Accelerator accelerator, GpuAttentionSettings settings, GpuAttentionKernelKind kernel, int parameterCount)
        where T : unmanaged
    {
        (int rowTiles, int squareTiles, int rowArrays) = kernel switch
        {
            GpuAttentionKernelKind.Forward => (4, 1, 3),     // Q, K, V and O; σ, then P; m, l, rescale
            GpuAttentionKernelKind.KeysAndValues => (6, 2, 2), // K, V, dK, dV, Q and dO; P and ds; L, D
            GpuAttentionKernelKind.BiasGradient => (4, 3, 2),  // Q, dO, K and V; q·k then ds, dO·v, and the sums; L, D
            _ => (5, 2, 2),                            // Q, dO, dQ, K and V; q·k then ds, and dO·v; L, D
        };

        int reductions = kernel == GpuAttentionKernelKind.KeysAndValues ? parameterCount : 0;
        int staticBytes = rowArrays * GpuTiles.RowArrayBytes + reductions * GroupReduce.SharedBytes;
        // The key pass writes the parameter sums, so it runs at least one group, even with no head (that group has no key).
        (KernelConfig launch, int block) = GpuTiles.Plan<T>(accelerator, settings.HeadSize, rowTiles, squareTiles, staticBytes,
            block => kernel switch
            {
                GpuAttentionKernelKind.KeysAndValues => Math.Max(1, settings.KeyHeadCount * settings.WithBlock(block).KeyBlocks),
                GpuAttentionKernelKind.BiasGradient => settings.WithBlock(block).BiasGradientGroups,
                _ => settings.HeadCount * settings.WithBlock(block).QueryBlocks,
            },
            "head size");
        return (launch, settings.WithBlock(block));
    }

    /// <summary>D_i = Σ_d dO_id·O_id for every query, summed in double: what gσ = P ∘ (dO·Vᵀ − D) subtracts.</summary>
    internal static void OutputDots<T, TElement>(AcceleratorStream stream, ArrayView<T> outputGradient, ArrayView<T> output, GpuAttentionScratch<T> scratch, int headSize)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
    {
        if (scratch.Queries == 0)
        {
            return;
        }

        var launch = GpuNormalizerRunner.Load(stream.Accelerator, OutputDotsKernel<T, TElement>,
            static a => a.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, int>(OutputDotsKernel<T, TElement>));
        launch(stream, (int)scratch.Queries, outputGradient, output, scratch.Delta, headSize);
    }

    internal static void OutputDotsKernel<T, TElement>(Index1D query, ArrayView<T> outputGradient, ArrayView<T> output, ArrayView<T> delta, int headSize)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
    {
        long start = (long)query.X * headSize;
        double sum = 0;
        for (int c = 0; c < headSize; c++)
        {
            sum += TElement.ToDouble(outputGradient[start + c]) * TElement.ToDouble(output[start + c]);
        }

        delta[query] = TElement.FromDouble(sum);
    }

    /// <summary>
    /// The kernel that overwrites a backward's sink gradients with dc_h = −Σ_(batch, i) exp(c_h − L_i)·D_i: one group per
    /// query head, its lanes over the head's queries of every sequence in a fixed stride, summed in double and over the
    /// group in a fixed tree, so the same bits on every run. Loaded before the backward's first launch, so that a failed
    /// compile writes nothing.
    /// </summary>
    internal static Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuAttentionSettings> LoadSinkGradients<T, TElement>(Accelerator accelerator)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T> =>
        GpuNormalizerRunner.Load(accelerator, SinkGradientKernel<T, TElement>,
            static a => a.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuAttentionSettings>(SinkGradientKernel<T, TElement>));

    /// <summary>Runs <paramref name="launch"/> (<see cref="LoadSinkGradients"/>) over every query of every head; with no query, clears the gradients.</summary>
    internal static void SinkGradients<T>(
        AcceleratorStream stream, Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuAttentionSettings> launch,
        ArrayView<T> sinks, ArrayView<T> logSumExp, ArrayView<T> delta, GpuAttentionSettings settings, ArrayView<T> sinkGradient)
        where T : unmanaged
    {
        long rows = (long)settings.Batch * settings.Queries;
        if (rows == 0)
        {
            sinkGradient.MemSetToZero(stream); // no query adds to a sink
            return;
        }

        int lanes = GpuNormalizerRunner.Rows(stream.Accelerator, 1, (int)Math.Min(rows, int.MaxValue)).GroupDim.X;
        launch(stream, new KernelConfig(settings.Heads, lanes), sinks, logSumExp, delta, sinkGradient, settings);
    }

    internal static void SinkGradientKernel<T, TElement>(ArrayView<T> sinks, ArrayView<T> logSumExp, ArrayView<T> delta, ArrayView<T> sinkGradient, GpuAttentionSettings settings)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
    {
        int head = Grid.IdxX;
        T sink = sinks[head];
        double sum = 0;
        for (long row = Group.IdxX; row < (long)settings.Batch * settings.Queries; row += Group.DimX)
        {
            long batch = row / settings.Queries, query = row - batch * settings.Queries;
            long index = (batch * settings.Heads + head) * settings.Queries + query;
            T rowLogSumExp = logSumExp[index];
            if (rowLogSumExp != T.NegativeInfinity)
            {
                sum -= TElement.ToDouble(TElement.Exp(sink - rowLogSumExp)) * TElement.ToDouble(delta[index]);
            }
        }

        sum = GroupReduce.Sum(sum);
        if (Group.IdxX == 0)
        {
            sinkGradient[head] = TElement.FromDouble(sum);
        }
    }

    private static GpuAttentionSettings CheckCommon<T>(
        ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> output, ArrayView<T> logSumExp,
        AttentionShape shape, ArrayView<T> parameters, int parameterCount, GpuAttentionOptions<T> options)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        AttentionRunner.CheckShape(shape, "shape");
        AttentionRunner.CheckLengths(shape, query.Length, key.Length, value.Length, output.Length, logSumExp.Length, "query", "key", "value", "output", "logSumExp");
        AttentionRunner.CheckMask(options.KeyPaddingMask.Length, shape, "keyPaddingMask");
        AttentionRunner.CheckAlignment(options.Alignment, "options.Alignment");
        AttentionRunner.CheckWindow(options.Window, "options.Window");
        AttentionRunner.CheckSinks(options.Sinks.Length, shape, "options.Sinks");
        AttentionBiasShape? biasShape = options.Bias.Length != 0 || options.BiasShape != default
            ? AttentionRunner.CheckBias(shape, options.BiasShape, options.Bias.Length, "options.Bias", "options.BiasShape")
            : null;
        NormalizerArguments.CheckParameterCount(parameterCount, parameters.Length, "parameters");
        double resolved = AttentionRunner.CheckScale(options.Scale is { } scale ? double.CreateTruncating(scale) : (double?)null, shape, "scale");
        return new GpuAttentionSettings(shape, resolved, options.Causal, options.KeyPaddingMask.Length > 0, block: 1, options.Alignment, options.Window, biasShape);
    }
}
