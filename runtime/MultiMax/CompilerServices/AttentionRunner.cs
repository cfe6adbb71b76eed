using System;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks;

namespace MultiMax.CompilerServices;

/// <summary>
/// Runs the fused attention of a generated <see cref="IModulatorKernel{T}"/>: checks every argument before the first
/// write, then runs the tile loops of <see cref="AttentionTiles{TKernel, T}"/> across the thread pool — the forward
/// over (head, block of queries), the backward over units of heads (<see cref="BackwardUnits"/>: the heads that add to
/// the same dK, dV or bias gradient entries run on one thread, in order).
/// </summary>
/// <remarks>
/// Infrastructure for generated code (<c>&lt;Name&gt;Attention</c>, <c>&lt;Name&gt;AttentionBackward</c>). Parameter
/// gradients are summed per unit in double, tile by tile in a fixed order, then over units in order, then rounded
/// once; sink gradients per head in double, then over the batch in order: the same bits on every run, whatever the
/// scheduling.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class AttentionRunner
{
    /// <summary>Below this many multiply-adds (queries × keys × head size, over all heads) a call stays on its thread.</summary>
    private const long ParallelThreshold = 1 << 20;

    /// <summary>The backward's heads per group: each holds its parameter sums until the group is added up.</summary>
    private const int HeadsPerGroup = 4096;

    /// <summary>Validates the arguments, then writes the attention output and the per-query log-sum-exp of σ.</summary>
    public static void Forward<TKernel, T>(
        ReadOnlySpan<T> query, ReadOnlySpan<T> key, ReadOnlySpan<T> value, Span<T> output, Span<T> logSumExp,
        AttentionShape shape, ReadOnlySpan<T> parameters, AttentionOptions<T> options,
        [CallerArgumentExpression(nameof(query))] string queryName = "query",
        [CallerArgumentExpression(nameof(key))] string keyName = "key",
        [CallerArgumentExpression(nameof(value))] string valueName = "value",
        [CallerArgumentExpression(nameof(output))] string outputName = "output",
        [CallerArgumentExpression(nameof(logSumExp))] string logSumExpName = "logSumExp",
        [CallerArgumentExpression(nameof(shape))] string shapeName = "shape",
        [CallerArgumentExpression(nameof(parameters))] string parametersName = "parameters",
        [CallerArgumentExpression(nameof(options))] string optionsName = "options")
        where TKernel : IModulatorKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckShape(shape, shapeName);
        CheckLengths(shape, query.Length, key.Length, value.Length, output.Length, logSumExp.Length, queryName, keyName, valueName, outputName, logSumExpName);
        NormalizerArguments.CheckParameterCount(TKernel.ParameterCount, parameters.Length, parametersName);
        var names = new OptionNames(optionsName);
        AttentionBiasShape biasShape = CheckOptions(shape, options, names);
        T scaleValue = CheckScale(options.Scale, shape, names.Scale);
        // The outputs need memory of their own: no input may share a byte with them.
        NormalizerArguments.CheckSeparate(output, outputName, query, queryName, key, keyName, value, valueName, parameters, parametersName);
        NormalizerArguments.CheckSeparate(output, outputName, options.Bias, names.Bias, options.Sinks, names.Sinks, default, "", default, "");
        NormalizerArguments.CheckSeparate(logSumExp, logSumExpName, query, queryName, key, keyName, value, valueName, parameters, parametersName);
        NormalizerArguments.CheckSeparate(logSumExp, logSumExpName, options.Bias, names.Bias, options.Sinks, names.Sinks, default, "", default, "");
        NormalizerArguments.CheckNoOverlap<T>(output, logSumExp, outputName, logSumExpName);
        if (shape.LogSumExpLength == 0)
        {
            return; // no query: nothing to write (with a head size of 0 the log-sum-exp still is)
        }

        // The keys turned for the score products (the keys, each head's padded to whole key blocks): native memory,
        // freed when the call ends. A few queries per head take their scores from the key rows instead.
        bool turnKeys = !AttentionProblem<T>.ScoresFromRows(shape);
        T* keysTransposed = turnKeys ? (T*)NativeMemory.Alloc(checked((nuint)AttentionProblem<T>.KeysTransposedLength(shape)), (nuint)sizeof(T)) : null;
        try
        {
            fixed (T* queryPointer = query, keyPointer = key, valuePointer = value, outputPointer = output, logSumExpPointer = logSumExp, parametersPointer = parameters)
            fixed (T* biasPointer = options.Bias, sinksPointer = options.Sinks)
            fixed (bool* maskPointer = options.KeyPaddingMask)
            {
                var problem = Problem(shape, scaleValue, TKernel.IsPoisoned(parameters), options, biasShape, maskPointer, biasPointer, sinksPointer) with
                {
                    Query = queryPointer,
                    Key = keyPointer,
                    Value = valuePointer,
                    Output = outputPointer,
                    LogSumExp = logSumExpPointer,
                    Parameters = parametersPointer,
                    ParameterCount = parameters.Length,
                    KeysTransposed = keysTransposed,
                };

                int heads = checked((int)shape.HeadCount), keyHeads = checked((int)shape.KeyHeadCount), blocks = problem.QueryBlocks;
                long items = shape.HeadCount * blocks;
                if (items == 1 || Work(shape) < ParallelThreshold)
                {
                    var scratch = new AttentionScratch<T>(problem, backward: false);
                    for (int keyHead = 0; turnKeys && keyHead < keyHeads; keyHead++)
                    {
                        AttentionTiles<TKernel, T>.TransposeKeys(problem, keyHead);
                    }

                    for (long item = 0; item < items; item++)
                    {
                        AttentionTiles<TKernel, T>.Forward(problem, (int)(item / blocks), (int)(item % blocks), scratch);
                    }

                    return;
                }

                ForwardInParallel<TKernel, T>(problem, keyHeads, items, blocks);
            }
        }
        finally
        {
            NativeMemory.Free(keysTransposed);
        }
    }

    /// <summary>
    /// Validates the arguments, then writes the gradients of query, key and value, overwrites
    /// <paramref name="parameterGradients"/> with the parameter gradients summed over every score, and, when they are
    /// not empty, <paramref name="biasGradient"/> (in the bias's shape) and <paramref name="sinkGradient"/> ([heads]).
    /// </summary>
    public static void Backward<TKernel, T>(
        ReadOnlySpan<T> query, ReadOnlySpan<T> key, ReadOnlySpan<T> value, ReadOnlySpan<T> output, ReadOnlySpan<T> logSumExp,
        ReadOnlySpan<T> outputGradient, Span<T> queryGradient, Span<T> keyGradient, Span<T> valueGradient,
        AttentionShape shape, ReadOnlySpan<T> parameters, Span<T> parameterGradients, AttentionOptions<T> options,
        Span<T> biasGradient, Span<T> sinkGradient,
        [CallerArgumentExpression(nameof(query))] string queryName = "query",
        [CallerArgumentExpression(nameof(key))] string keyName = "key",
        [CallerArgumentExpression(nameof(value))] string valueName = "value",
        [CallerArgumentExpression(nameof(output))] string outputName = "output",
        [CallerArgumentExpression(nameof(logSumExp))] string logSumExpName = "logSumExp",
        [CallerArgumentExpression(nameof(outputGradient))] string outputGradientName = "outputGradient",
        [CallerArgumentExpression(nameof(queryGradient))] string queryGradientName = "queryGradient",
        [CallerArgumentExpression(nameof(keyGradient))] string keyGradientName = "keyGradient",
        [CallerArgumentExpression(nameof(valueGradient))] string valueGradientName = "valueGradient",
        [CallerArgumentExpression(nameof(shape))] string shapeName = "shape",
        [CallerArgumentExpression(nameof(parameters))] string parametersName = "parameters",
        [CallerArgumentExpression(nameof(parameterGradients))] string parameterGradientsName = "parameterGradients",
        [CallerArgumentExpression(nameof(options))] string optionsName = "options",
        [CallerArgumentExpression(nameof(biasGradient))] string biasGradientName = "biasGradient",
        [CallerArgumentExpression(nameof(sinkGradient))] string sinkGradientName = "sinkGradient")
        where TKernel : IModulatorKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckShape(shape, shapeName);
        CheckLengths(shape, query.Length, key.Length, value.Length, output.Length, logSumExp.Length, queryName, keyName, valueName, outputName, logSumExpName);
        CheckGradientLengths(shape, outputGradient.Length, queryGradient.Length, keyGradient.Length, valueGradient.Length,
            outputGradientName, queryGradientName, keyGradientName, valueGradientName);
        NormalizerArguments.CheckParameterCount(TKernel.ParameterCount, parameters.Length, parametersName);
        NormalizerArguments.CheckParameterCount(TKernel.ParameterCount, parameterGradients.Length, parameterGradientsName);
        var names = new OptionNames(optionsName);
        AttentionBiasShape biasShape = CheckOptions(shape, options, names);
        T scaleValue = CheckScale(options.Scale, shape, names.Scale);
        CheckOptionalGradient(biasGradient.Length, options.Bias.Length, biasGradientName, names.Bias);
        CheckOptionalGradient(sinkGradient.Length, options.Sinks.Length, sinkGradientName, names.Sinks);

        // Every output needs memory of its own: no input, and no other output, may share a byte with it.
        ReadOnlySpan<T> bias = options.Bias, sinks = options.Sinks;
        string biasName = names.Bias, sinksName = names.Sinks;
        NormalizerArguments.CheckSeparate(queryGradient, queryGradientName, query, queryName, key, keyName, value, valueName, parameters, parametersName);
        NormalizerArguments.CheckSeparate(queryGradient, queryGradientName, output, outputName, logSumExp, logSumExpName, outputGradient, outputGradientName, bias, biasName);
        NormalizerArguments.CheckSeparate(queryGradient, queryGradientName, sinks, sinksName, default, "", default, "", default, "");
        NormalizerArguments.CheckSeparate(keyGradient, keyGradientName, query, queryName, key, keyName, value, valueName, parameters, parametersName);
        NormalizerArguments.CheckSeparate(keyGradient, keyGradientName, output, outputName, logSumExp, logSumExpName, outputGradient, outputGradientName, bias, biasName);
        NormalizerArguments.CheckSeparate(keyGradient, keyGradientName, sinks, sinksName, queryGradient, queryGradientName, default, "", default, "");
        NormalizerArguments.CheckSeparate(valueGradient, valueGradientName, query, queryName, key, keyName, value, valueName, parameters, parametersName);
        NormalizerArguments.CheckSeparate(valueGradient, valueGradientName, output, outputName, logSumExp, logSumExpName, outputGradient, outputGradientName, bias, biasName);
        NormalizerArguments.CheckSeparate(valueGradient, valueGradientName, sinks, sinksName, queryGradient, queryGradientName, keyGradient, keyGradientName, default, "");
        NormalizerArguments.CheckSeparate(parameterGradients, parameterGradientsName, query, queryName, key, keyName, value, valueName, parameters, parametersName);
        NormalizerArguments.CheckSeparate(parameterGradients, parameterGradientsName, output, outputName, logSumExp, logSumExpName, outputGradient, outputGradientName, bias, biasName);
        NormalizerArguments.CheckSeparate(parameterGradients, parameterGradientsName, sinks, sinksName, queryGradient, queryGradientName, keyGradient, keyGradientName, valueGradient, valueGradientName);
        NormalizerArguments.CheckSeparate(biasGradient, biasGradientName, query, queryName, key, keyName, value, valueName, parameters, parametersName);
        NormalizerArguments.CheckSeparate(biasGradient, biasGradientName, output, outputName, logSumExp, logSumExpName, outputGradient, outputGradientName, bias, biasName);
        NormalizerArguments.CheckSeparate(biasGradient, biasGradientName, sinks, sinksName, queryGradient, queryGradientName, keyGradient, keyGradientName, valueGradient, valueGradientName);
        NormalizerArguments.CheckSeparate(biasGradient, biasGradientName, parameterGradients, parameterGradientsName, default, "", default, "", default, "");
        NormalizerArguments.CheckSeparate(sinkGradient, sinkGradientName, query, queryName, key, keyName, value, valueName, parameters, parametersName);
        NormalizerArguments.CheckSeparate(sinkGradient, sinkGradientName, output, outputName, logSumExp, logSumExpName, outputGradient, outputGradientName, bias, biasName);
        NormalizerArguments.CheckSeparate(sinkGradient, sinkGradientName, sinks, sinksName, queryGradient, queryGradientName, keyGradient, keyGradientName, valueGradient, valueGradientName);
        NormalizerArguments.CheckSeparate(sinkGradient, sinkGradientName, parameterGradients, parameterGradientsName, biasGradient, biasGradientName, default, "", default, "");

        int parameterCount = parameters.Length;
        bool poisoned = TKernel.IsPoisoned(parameters);
        if (shape.QueryLength == 0 && shape.KeyLength == 0)
        {
            biasGradient.Clear();
            // Nothing to write but the parameter, bias and sink gradients, and every gσ is 0: no query, or empty dot
            // products (dP = 0, D = 0). A NaN parameter σ reads still makes the parameters' NaN, the rule on every path.
            parameterGradients.Fill(poisoned ? T.NaN : T.Zero);
            sinkGradient.Clear();
            return;
        }

        fixed (T* queryPointer = query, keyPointer = key, valuePointer = value, outputPointer = output, logSumExpPointer = logSumExp)
        fixed (T* outputGradientPointer = outputGradient, queryGradientPointer = queryGradient, keyGradientPointer = keyGradient, valueGradientPointer = valueGradient)
        fixed (T* parametersPointer = parameters, biasPointer = options.Bias, sinksPointer = options.Sinks, biasGradientPointer = biasGradient)
        fixed (bool* maskPointer = options.KeyPaddingMask)
        {
            var problem = Problem(shape, scaleValue, poisoned, options, biasShape, maskPointer, biasPointer, sinksPointer) with
            {
                Query = queryPointer,
                Key = keyPointer,
                Value = valuePointer,
                Output = outputPointer,
                LogSumExp = logSumExpPointer,
                Parameters = parametersPointer,
                ParameterCount = parameterCount,
                OutputGradient = outputGradientPointer,
                QueryGradient = queryGradientPointer,
                KeyGradient = keyGradientPointer,
                ValueGradient = valueGradientPointer,
                BiasGradient = biasGradient.IsEmpty ? null : biasGradientPointer,
            };

            // A bias gradient with one entry per score of each head it serves, where every tile is visited (no band, no
            // padding to skip), is written tile by tile rather than cleared and added to: one pass over it, not two.
            problem = problem with
            {
                OverwriteBiasGradient = problem.BiasGradient is not null && !problem.Banded && problem.KeyPadding is null
                    && biasShape.Batch == shape.Batch && biasShape.Heads == shape.Heads
                    && problem.BiasQueryStride != 0 && problem.BiasKeyStride == 1,
            };

            var units = BackwardUnits.For(shape, biasShape, !biasGradient.IsEmpty, sizeof(T));
            if (units.Count == 0)
            {
                biasGradient.Clear(); // no sequence: no unit clears its slices
            }

            // A bias gradient shared by the batch: each part of the batch adds into a gradient of its own (the first into
            // the output; the others native memory, each slice cleared by its unit), and the parts are added in order.
            long partialsLength = (units.BiasPartials - 1) * (long)biasGradient.Length;
            T* partials = partialsLength > 0 ? (T*)NativeMemory.Alloc((nuint)partialsLength, (nuint)sizeof(T)) : null;
            var sinkSums = sinkGradient.IsEmpty ? null : new double[shape.HeadCount];
            double[] totals;
            try
            {
                totals = RunBackward<TKernel, T>(problem with { BiasGradientPartials = partials }, units, sinkSums);
                for (int part = 1; part < units.BiasPartials; part++)
                {
                    TensorPrimitives.Add(biasGradient, new ReadOnlySpan<T>(partials + (part - 1) * (long)biasGradient.Length, biasGradient.Length), biasGradient);
                }
            }
            finally
            {
                NativeMemory.Free(partials);
            }

            for (int p = 0; p < parameterCount; p++)
            {
                // A NaN parameter σ reads makes every gradient NaN, even with nothing visible: the rule on every path.
                parameterGradients[p] = poisoned ? T.NaN : T.CreateTruncating(totals[p]);
            }

            // Each head's sink gradient, summed over the batch in order.
            for (int h = 0; h < sinkGradient.Length; h++)
            {
                double total = 0;
                for (int batch = 0; batch < shape.Batch; batch++)
                {
                    total += sinkSums![batch * shape.Heads + h];
                }

                sinkGradient[h] = T.CreateTruncating(total);
            }
        }
    }

    /// <summary>The problem every pointer-free setting of a call gives: shape, scale, masking, bias layout and sinks.</summary>
    private static AttentionProblem<T> Problem<T>(
        AttentionShape shape, T scale, bool poisoned, in AttentionOptions<T> options, AttentionBiasShape biasShape, bool* mask, T* bias, T* sinks)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (long batchStride, long headStride, long queryStride, long keyStride) = biasShape.Strides;
        return new AttentionProblem<T>
        {
            Shape = shape, Scale = scale, Poisoned = poisoned, Causal = options.Causal,
            AlignmentOffset = options.Alignment == CausalAlignment.BottomRight ? (long)shape.Keys - shape.Queries : 0,
            Windowed = options.Window is not null, WindowLeft = options.Window?.Left ?? 0, WindowRight = options.Window?.Right ?? 0,
            KeyPadding = options.KeyPaddingMask.IsEmpty ? null : mask,
            Bias = options.Bias.IsEmpty ? null : bias,
            BiasBatchStride = batchStride, BiasHeadStride = headStride, BiasQueryStride = queryStride, BiasKeyStride = keyStride,
            BiasSliceLength = (long)biasShape.Queries * biasShape.Keys, BiasLength = options.Bias.Length,
            Sinks = options.Sinks.IsEmpty ? null : sinks,
        };
    }

    // The parallel paths live in methods of their own: a lambda's closure is allocated on entry to the method that
    // declares what it captures, and the single-threaded path must not pay for it.
    private static void ForwardInParallel<TKernel, T>(AttentionProblem<T> problem, int keyHeads, long items, int blocks)
        where TKernel : IModulatorKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (problem.KeysTransposed is not null)
        {
            Parallel.For(0, keyHeads, keyHead => AttentionTiles<TKernel, T>.TransposeKeys(problem, keyHead));
        }

        Parallel.For(
            0L, items,
            () => new AttentionScratch<T>(problem, backward: false),
            (item, _, scratch) =>
            {
                AttentionTiles<TKernel, T>.Forward(problem, (int)(item / blocks), (int)(item % blocks), scratch);
                return scratch;
            },
            _ => { });
    }

    /// <summary>
    /// Runs the backward unit by unit (<see cref="BackwardUnits"/>), a group of units at a time: each unit's parameter
    /// sums in its own slot, added to the totals in unit order — the same additions in the same order whatever the
    /// scheduling, in memory bounded by the group. Returns the totals; each head's sink gradient lands in
    /// <paramref name="sinkSums"/>.
    /// </summary>
    private static double[] RunBackward<TKernel, T>(AttentionProblem<T> problem, BackwardUnits units, double[]? sinkSums)
        where TKernel : IModulatorKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parameterCount = problem.ParameterCount;
        int unitsPerGroup = Math.Max(1, Math.Min(units.Count, HeadsPerGroup / Math.Max(1, units.HeadsPerUnit)));
        var sums = new double[Math.Max(1, unitsPerGroup * parameterCount)];
        var totals = new double[parameterCount];
        bool parallel = units.Count > 1 && Work(problem.Shape) >= ParallelThreshold;
        var scratch = parallel ? null : new AttentionScratch<T>(problem, backward: true);
        for (long group = 0; group * unitsPerGroup < units.Count; group++)
        {
            int firstUnit = (int)(group * unitsPerGroup), count = Math.Min(unitsPerGroup, units.Count - firstUnit);
            Array.Clear(sums);
            if (parallel)
            {
                BackwardInParallel<TKernel, T>(problem, units, firstUnit, count, sums, sinkSums);
            }
            else
            {
                for (int unit = 0; unit < count; unit++)
                {
                    BackwardUnit<TKernel, T>(problem, units, firstUnit + unit, scratch!, sums.AsSpan(unit * parameterCount, parameterCount), sinkSums);
                }
            }

            for (int p = 0; p < parameterCount; p++)
            {
                for (int unit = 0; unit < count; unit++)
                {
                    totals[p] += sums[unit * parameterCount + p];
                }
            }
        }

        return totals;
    }

    /// <summary>Unit <c>firstUnit + u</c> adds its parameter gradients to <c>sums[u·P .. (u+1)·P)</c>.</summary>
    private static void BackwardInParallel<TKernel, T>(AttentionProblem<T> problem, BackwardUnits units, int firstUnit, int count, double[] sums, double[]? sinkSums)
        where TKernel : IModulatorKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parameterCount = problem.ParameterCount;
        Parallel.For(
            0, count,
            () => new AttentionScratch<T>(problem, backward: true),
            (unit, _, scratch) =>
            {
                BackwardUnit<TKernel, T>(problem, units, firstUnit + unit, scratch, sums.AsSpan(unit * parameterCount, parameterCount), sinkSums);
                return scratch;
            },
            _ => { });
    }

    /// <summary>
    /// One unit of the backward on one thread: clears the dK and dV its heads share, then runs its query heads in order,
    /// each adding to them (and to the bias gradient's slices the unit owns, each cleared before its first head adds to it).
    /// </summary>
    private static void BackwardUnit<TKernel, T>(
        in AttentionProblem<T> problem, BackwardUnits units, int unit, AttentionScratch<T> scratch, Span<double> parameterSums, double[]? sinkSums)
        where TKernel : IModulatorKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        AttentionShape shape = problem.Shape;
        long keyHeadLength = (long)shape.Keys * shape.HeadSize;
        foreach (int keyHead in units.KeyHeads(unit))
        {
            new Span<T>(problem.KeyGradient + keyHead * keyHeadLength, (int)keyHeadLength).Clear();
            new Span<T>(problem.ValueGradient + keyHead * keyHeadLength, (int)keyHeadLength).Clear();
        }

        // A part of a batch that shares a bias gradient adds into its own (see BackwardUnits).
        int part = units.BiasPartial(unit);
        AttentionProblem<T> unitProblem = part == 0 ? problem
            : problem with { BiasGradient = problem.BiasGradientPartials + (part - 1) * problem.BiasLength };
        int first = -1;
        foreach (int head in units.Heads(unit))
        {
            // The bias gradient's slice of this head, cleared by the first of the unit's heads that adds to it (every
            // head that shares a slice is in this unit).
            first = first < 0 ? head : first;
            if (unitProblem.BiasGradient is not null && !problem.OverwriteBiasGradient
                && (problem.BiasBatchStride != 0 || head / shape.Heads == first / shape.Heads)
                && (problem.BiasHeadStride != 0 || head % shape.Heads == first % shape.Heads))
            {
                new Span<T>(unitProblem.BiasGradientRow(head, 0), checked((int)problem.BiasSliceLength)).Clear();
            }

            double sink = AttentionTiles<TKernel, T>.Backward(unitProblem, head, scratch, parameterSums);
            if (sinkSums is not null)
            {
                sinkSums[head] = sink;
            }
        }
    }

    private static long Work(AttentionShape shape) => shape.HeadCount * shape.Queries * shape.Keys * shape.HeadSize;

    // The length checks are shared with the GPU operator (MultiMax.Gpu's GpuAttentionRunner), which passes lengths.

    /// <summary>The inputs' and the forward outputs' lengths against the shape.</summary>
    internal static void CheckLengths(
        AttentionShape shape, long query, long key, long value, long output, long logSumExp,
        string queryName, string keyName, string valueName, string outputName, string logSumExpName)
    {
        NormalizerArguments.CheckLength(query, shape.QueryLength, queryName, "batch × heads × queries × headSize");
        NormalizerArguments.CheckLength(key, shape.KeyLength, keyName, "batch × heads × keys × headSize");
        NormalizerArguments.CheckLength(value, shape.KeyLength, valueName, "batch × heads × keys × headSize");
        NormalizerArguments.CheckLength(output, shape.QueryLength, outputName, "batch × heads × queries × headSize");
        NormalizerArguments.CheckLength(logSumExp, shape.LogSumExpLength, logSumExpName, "batch × heads × queries");
    }

    /// <summary>The backward's gradient lengths against the shape.</summary>
    internal static void CheckGradientLengths(
        AttentionShape shape, long outputGradient, long queryGradient, long keyGradient, long valueGradient,
        string outputGradientName, string queryGradientName, string keyGradientName, string valueGradientName)
    {
        NormalizerArguments.CheckLength(outputGradient, shape.QueryLength, outputGradientName, "batch × heads × queries × headSize");
        NormalizerArguments.CheckLength(queryGradient, shape.QueryLength, queryGradientName, "batch × heads × queries × headSize");
        NormalizerArguments.CheckLength(keyGradient, shape.KeyLength, keyGradientName, "batch × heads × keys × headSize");
        NormalizerArguments.CheckLength(valueGradient, shape.KeyLength, valueGradientName, "batch × heads × keys × headSize");
    }

    /// <summary>Whether the fused kernels take a call of this shape: what <see cref="CheckShape"/> accepts.</summary>
    public static bool Fits(AttentionShape shape) => ShapeProblem(shape, "shape") is null;

    internal static void CheckShape(AttentionShape shape, string name)
    {
        if (ShapeProblem(shape, name) is { } problem)
        {
            throw new ArgumentOutOfRangeException(name, shape, problem);
        }
    }

    private static string? ShapeProblem(AttentionShape shape, string name)
    {
        if (shape.Batch < 0 || shape.Heads < 0 || shape.Queries < 0 || shape.Keys < 0 || shape.HeadSize < 0)
        {
            return $"{name} must have no negative extent.";
        }

        if (shape.KeyValueHeads < 0 || shape.KeyValueHeads > shape.Heads
            || (shape.KeyValueHeads == 0 ? shape.Heads != 0 : shape.Heads % shape.KeyValueHeads != 0))
        {
            return $"{name} has {shape.Heads} query heads and {shape.KeyValueHeads} key/value heads; the key/value heads must divide the query heads.";
        }

        if (shape.HeadSize > AttentionShape.MaxHeadSize)
        {
            return $"{name} has a head size of {shape.HeadSize}; the fused kernels take at most AttentionShape.MaxHeadSize = {AttentionShape.MaxHeadSize}.";
        }

        if (shape.Queries > AttentionShape.MaxSequenceLength || shape.Keys > AttentionShape.MaxSequenceLength)
        {
            return $"{name} has {shape.Queries} queries and {shape.Keys} keys; the fused kernels take at most AttentionShape.MaxSequenceLength = {AttentionShape.MaxSequenceLength} of each.";
        }

        if (shape.HeadCount > int.MaxValue && (shape.QueryLength > 0 || shape.KeyLength > 0))
        {
            // With nothing to compute (every length 0) any head count is fine; otherwise each head is worked on.
            return $"{name} has {shape.HeadCount} (batch × heads) attention problems; the fused kernels take at most {int.MaxValue}.";
        }

        if (shape.QueryLength > int.MaxValue || shape.KeyLength > int.MaxValue || shape.LogSumExpLength > int.MaxValue || shape.MaskLength > int.MaxValue)
        {
            return $"{name} describes more entries than a span can hold.";
        }

        return null;
    }

    /// <summary>
    /// The names an <see cref="AttentionOptions{T}"/> argument's members take in exceptions: <c>options.Bias</c>; a
    /// generated overload that takes the mask, causal flag and scale as parameters of its own passes "" and gets
    /// <c>keyPaddingMask</c>, <c>scale</c>.
    /// </summary>
    private readonly record struct OptionNames(string Options)
    {
        public string KeyPaddingMask => Member(nameof(AttentionOptions<float>.KeyPaddingMask));

        public string Alignment => Member(nameof(AttentionOptions<float>.Alignment));

        public string Window => Member(nameof(AttentionOptions<float>.Window));

        public string Bias => Member(nameof(AttentionOptions<float>.Bias));

        public string BiasShape => Member(nameof(AttentionOptions<float>.BiasShape));

        public string Sinks => Member(nameof(AttentionOptions<float>.Sinks));

        public string Scale => Member(nameof(AttentionOptions<float>.Scale));

        private string Member(string property) =>
            Options.Length == 0 ? char.ToLowerInvariant(property[0]) + property[1..] : Options + "." + property;
    }

    /// <summary>Checks the masking, window, bias and sinks against the shape; returns the bias's shape (the full one when not given).</summary>
    private static AttentionBiasShape CheckOptions<T>(AttentionShape shape, in AttentionOptions<T> options, OptionNames names)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckMask(options.KeyPaddingMask.Length, shape, names.KeyPaddingMask);
        CheckAlignment(options.Alignment, names.Alignment);
        CheckWindow(options.Window, names.Window);

        AttentionBiasShape bias = CheckBias(shape, options.BiasShape, options.Bias.Length, names.Bias, names.BiasShape);
        CheckSinks(options.Sinks.Length, shape, names.Sinks);
        return bias;
    }

    /// <summary>
    /// Checks a bias of <paramref name="biasLength"/> entries in the shape <paramref name="given"/> (the default: none, or
    /// the full one) against the call's; returns the bias's shape, the full one when not given. Shared with the GPU operators.
    /// </summary>
    internal static AttentionBiasShape CheckBias(AttentionShape shape, AttentionBiasShape given, long biasLength, string biasName, string biasShapeName)
    {
        AttentionBiasShape bias = given == default ? AttentionBiasShape.Full(shape) : given;
        if (biasLength != 0 || given != default)
        {
            if (!Broadcasts(bias.Batch, shape.Batch) || !Broadcasts(bias.Heads, shape.Heads) || !Broadcasts(bias.Queries, shape.Queries) || !Broadcasts(bias.Keys, shape.Keys))
            {
                throw new ArgumentException(
                    $"{biasShapeName} is {bias}, but each extent must be 1 or the call's: batch {shape.Batch}, heads {shape.Heads}, queries {shape.Queries}, keys {shape.Keys}.", biasShapeName);
            }

            NormalizerArguments.CheckLength(biasLength, bias.Length, biasName, $"the product of {biasShapeName}'s extents");
        }

        return bias;

        static bool Broadcasts(int extent, int target) => extent == target || extent == 1;
    }

    /// <summary>Checks sinks of <paramref name="length"/> entries: none, or one per query head. Shared with the GPU operators.</summary>
    internal static void CheckSinks(long length, AttentionShape shape, string name)
    {
        if (length != 0)
        {
            NormalizerArguments.CheckLength(length, shape.Heads, name, "heads (one sink per query head)");
        }
    }

    /// <summary>Refuses an alignment outside the enum. Shared with the Torch operator, which checks it on every path.</summary>
    public static void CheckAlignment(CausalAlignment alignment, string name)
    {
        if (alignment is not (CausalAlignment.TopLeft or CausalAlignment.BottomRight))
        {
            throw new ArgumentOutOfRangeException(name, alignment, $"{name} must be TopLeft or BottomRight.");
        }
    }

    /// <summary>Refuses a window with a negative side. Shared with the Torch operator and layer.</summary>
    public static void CheckWindow((int Left, int Right)? window, string name)
    {
        if (window is { } given && (given.Left < 0 || given.Right < 0))
        {
            throw new ArgumentOutOfRangeException(name, given, $"{name} must have a non-negative Left and Right (keys before and after a query's own position), but it is {given}.");
        }
    }

    /// <summary>A gradient output that is empty (not asked for) or as long as its input, which must be given. Shared with the GPU operators.</summary>
    internal static void CheckOptionalGradient(long actual, long input, string name, string inputName)
    {
        if (actual != 0 && actual != input)
        {
            throw new ArgumentException(
                $"{name} has {NormalizerArguments.Count(actual, "entry")} but must be empty (not asked for) or as long as {inputName} ({input}).", name);
        }
    }

    internal static void CheckMask(long actual, AttentionShape shape, string name)
    {
        if (actual != 0 && actual != shape.MaskLength)
        {
            throw new ArgumentException(
                $"{name} has {NormalizerArguments.Count(actual, "entry")} but must be empty (no mask) or hold batch × keys = {shape.MaskLength} (true = padding).", name);
        }
    }

    internal static T CheckScale<T>(T? scale, AttentionShape shape, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (scale is not { } given)
        {
            return T.CreateTruncating(shape.DefaultScale);
        }

        if (!T.IsFinite(given))
        {
            throw new ArgumentOutOfRangeException(name, given, $"{name} must be finite.");
        }

        return given;
    }
}
