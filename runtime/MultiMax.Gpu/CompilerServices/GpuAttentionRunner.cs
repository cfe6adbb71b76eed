using System;
using System.ComponentModel;
using ILGPU;
using ILGPU.Runtime;
using MultiMax.CompilerServices;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// What generated <c>&lt;Name&gt;Gpu.Attention</c>/<c>AttentionBackward</c> call: argument checks on the host before
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
    /// The launch of one pass: one group per (head, block) and the tile size that fits (<see cref="GpuTiles"/>).
    /// Throws before anything is launched when even one query and one key do not fit (a head size in the thousands).
    /// </summary>
    public static (KernelConfig Launch, GpuAttentionTiles Tiles) Plan<T>(Accelerator accelerator, GpuAttentionTiles settings, GpuAttentionPass pass)
        where T : unmanaged
    {
        (int rowTiles, int squareTiles) = pass switch
        {
            GpuAttentionPass.Forward => (4, 1),     // Q, K, V and O; σ, then P
            GpuAttentionPass.KeysAndValues => (6, 2), // K, V, dK, dV, Q and dO; P and ds
            _ => (5, 2),                            // Q, dO, dQ, K and V; q·k then ds, and dO·v
        };

        (KernelConfig launch, int block) = GpuTiles.Plan<T>(accelerator, settings.HeadSize, rowTiles, squareTiles,
            block => settings.HeadCount * (pass == GpuAttentionPass.KeysAndValues ? settings.WithBlock(block).KeyBlocks : settings.WithBlock(block).QueryBlocks),
            "head size");
        return (launch, settings.WithBlock(block));
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
