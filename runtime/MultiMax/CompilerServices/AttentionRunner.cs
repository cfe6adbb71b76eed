using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks;

namespace MultiMax.CompilerServices;

/// <summary>
/// Runs the fused attention of a generated <see cref="IModulatorKernel{T}"/>: checks every argument before the first
/// write, then runs the tile loops of <see cref="AttentionTiles{TKernel, T}"/> across the thread pool — the forward
/// over (head, block of queries), the backward over heads, each head's gradients written by one thread.
/// </summary>
/// <remarks>
/// Infrastructure for generated code (<c>&lt;Name&gt;Attention</c>, <c>&lt;Name&gt;AttentionBackward</c>). Parameter
/// gradients are summed per head in double, tile by tile in a fixed order, then over heads in order, then rounded once:
/// the same bits on every run, whatever the scheduling.
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
        AttentionShape shape, ReadOnlySpan<T> parameters, ReadOnlySpan<bool> keyPaddingMask, bool causal, T? scale,
        [CallerArgumentExpression(nameof(query))] string queryName = "query",
        [CallerArgumentExpression(nameof(key))] string keyName = "key",
        [CallerArgumentExpression(nameof(value))] string valueName = "value",
        [CallerArgumentExpression(nameof(output))] string outputName = "output",
        [CallerArgumentExpression(nameof(logSumExp))] string logSumExpName = "logSumExp",
        [CallerArgumentExpression(nameof(shape))] string shapeName = "shape",
        [CallerArgumentExpression(nameof(parameters))] string parametersName = "parameters",
        [CallerArgumentExpression(nameof(keyPaddingMask))] string keyPaddingMaskName = "keyPaddingMask",
        [CallerArgumentExpression(nameof(scale))] string scaleName = "scale")
        where TKernel : IModulatorKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckShape(shape, shapeName);
        CheckLengths(shape, query.Length, key.Length, value.Length, output.Length, logSumExp.Length, queryName, keyName, valueName, outputName, logSumExpName);
        CheckMask(keyPaddingMask.Length, shape, keyPaddingMaskName);
        NormalizerArguments.CheckParameterCount(TKernel.ParameterCount, parameters.Length, parametersName);
        T scaleValue = CheckScale(scale, shape, scaleName);
        // The outputs need memory of their own: no input may share a byte with them.
        NormalizerArguments.CheckSeparate(output, outputName, query, queryName, key, keyName, value, valueName, parameters, parametersName);
        NormalizerArguments.CheckSeparate(logSumExp, logSumExpName, query, queryName, key, keyName, value, valueName, parameters, parametersName);
        NormalizerArguments.CheckNoOverlap<T>(output, logSumExp, outputName, logSumExpName);
        if (shape.LogSumExpLength == 0)
        {
            return; // no query: nothing to write (with a head size of 0 the log-sum-exp still is)
        }

        // The keys turned for the score products (the keys, each head's padded to whole key blocks): native memory,
        // freed when the call ends. A few queries per head take their scores from the key rows instead.
        bool turnKeys = shape.Queries > AttentionProblem<T>.DirectScoreQueries;
        T* keysTransposed = turnKeys ? (T*)NativeMemory.Alloc(checked((nuint)AttentionProblem<T>.KeysTransposedLength(shape)), (nuint)sizeof(T)) : null;
        try
        {
            fixed (T* queryPointer = query, keyPointer = key, valuePointer = value, outputPointer = output, logSumExpPointer = logSumExp, parametersPointer = parameters)
            fixed (bool* maskPointer = keyPaddingMask)
            {
                var problem = new AttentionProblem<T>
                {
                    Shape = shape, Scale = scaleValue, Causal = causal, Poisoned = TKernel.IsPoisoned(parameters),
                    Query = queryPointer, Key = keyPointer, Value = valuePointer, Output = outputPointer, LogSumExp = logSumExpPointer,
                    KeyPadding = keyPaddingMask.IsEmpty ? null : maskPointer, Parameters = parametersPointer, ParameterCount = parameters.Length,
                    KeysTransposed = keysTransposed,
                };

                int heads = checked((int)shape.HeadCount), blocks = problem.QueryBlocks;
                long items = shape.HeadCount * blocks;
                if (items == 1 || Work(shape) < ParallelThreshold)
                {
                    var scratch = new AttentionScratch<T>(problem, backward: false);
                    for (int head = 0; turnKeys && head < heads; head++)
                    {
                        AttentionTiles<TKernel, T>.TransposeKeys(problem, head);
                    }

                    for (long item = 0; item < items; item++)
                    {
                        AttentionTiles<TKernel, T>.Forward(problem, (int)(item / blocks), (int)(item % blocks), scratch);
                    }

                    return;
                }

                ForwardInParallel<TKernel, T>(problem, heads, items, blocks);
            }
        }
        finally
        {
            NativeMemory.Free(keysTransposed);
        }
    }

    /// <summary>
    /// Validates the arguments, then writes the gradients of query, key and value and overwrites
    /// <paramref name="parameterGradients"/> with the parameter gradients summed over every score.
    /// </summary>
    public static void Backward<TKernel, T>(
        ReadOnlySpan<T> query, ReadOnlySpan<T> key, ReadOnlySpan<T> value, ReadOnlySpan<T> output, ReadOnlySpan<T> logSumExp,
        ReadOnlySpan<T> outputGradient, Span<T> queryGradient, Span<T> keyGradient, Span<T> valueGradient,
        AttentionShape shape, ReadOnlySpan<T> parameters, Span<T> parameterGradients, ReadOnlySpan<bool> keyPaddingMask, bool causal, T? scale,
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
        [CallerArgumentExpression(nameof(keyPaddingMask))] string keyPaddingMaskName = "keyPaddingMask",
        [CallerArgumentExpression(nameof(scale))] string scaleName = "scale")
        where TKernel : IModulatorKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckShape(shape, shapeName);
        CheckLengths(shape, query.Length, key.Length, value.Length, output.Length, logSumExp.Length, queryName, keyName, valueName, outputName, logSumExpName);
        CheckGradientLengths(shape, outputGradient.Length, queryGradient.Length, keyGradient.Length, valueGradient.Length,
            outputGradientName, queryGradientName, keyGradientName, valueGradientName);
        CheckMask(keyPaddingMask.Length, shape, keyPaddingMaskName);
        NormalizerArguments.CheckParameterCount(TKernel.ParameterCount, parameters.Length, parametersName);
        NormalizerArguments.CheckParameterCount(TKernel.ParameterCount, parameterGradients.Length, parameterGradientsName);
        T scaleValue = CheckScale(scale, shape, scaleName);

        // Every output needs memory of its own: no input, and no other output, may share a byte with it.
        NormalizerArguments.CheckSeparate(queryGradient, queryGradientName, query, queryName, key, keyName, value, valueName, parameters, parametersName);
        NormalizerArguments.CheckSeparate(queryGradient, queryGradientName, output, outputName, logSumExp, logSumExpName, outputGradient, outputGradientName, default, "");
        NormalizerArguments.CheckSeparate(keyGradient, keyGradientName, query, queryName, key, keyName, value, valueName, parameters, parametersName);
        NormalizerArguments.CheckSeparate(keyGradient, keyGradientName, output, outputName, logSumExp, logSumExpName, outputGradient, outputGradientName, queryGradient, queryGradientName);
        NormalizerArguments.CheckSeparate(valueGradient, valueGradientName, query, queryName, key, keyName, value, valueName, parameters, parametersName);
        NormalizerArguments.CheckSeparate(valueGradient, valueGradientName, output, outputName, logSumExp, logSumExpName, outputGradient, outputGradientName, queryGradient, queryGradientName);
        NormalizerArguments.CheckSeparate(valueGradient, valueGradientName, keyGradient, keyGradientName, default, "", default, "", default, "");
        NormalizerArguments.CheckSeparate(parameterGradients, parameterGradientsName, query, queryName, key, keyName, value, valueName, parameters, parametersName);
        NormalizerArguments.CheckSeparate(parameterGradients, parameterGradientsName, output, outputName, logSumExp, logSumExpName, outputGradient, outputGradientName, queryGradient, queryGradientName);
        NormalizerArguments.CheckSeparate(parameterGradients, parameterGradientsName, keyGradient, keyGradientName, valueGradient, valueGradientName, default, "", default, "");

        int parameterCount = parameters.Length;
        bool poisoned = TKernel.IsPoisoned(parameters);
        if (shape.QueryLength == 0 && shape.KeyLength == 0)
        {
            // Nothing to write but the parameter gradients, and every gσ is 0: no query, or empty dot products (dP = 0,
            // D = 0). A NaN parameter σ reads still makes them NaN, the rule on every path and at every size.
            parameterGradients.Fill(poisoned ? T.NaN : T.Zero);
            return;
        }

        int heads = checked((int)shape.HeadCount);
        int headsPerGroup = Math.Min(heads, HeadsPerGroup);
        var sums = new double[Math.Max(1, headsPerGroup * parameterCount)];
        var totals = new double[parameterCount];
        fixed (T* queryPointer = query, keyPointer = key, valuePointer = value, outputPointer = output, logSumExpPointer = logSumExp)
        fixed (T* outputGradientPointer = outputGradient, queryGradientPointer = queryGradient, keyGradientPointer = keyGradient, valueGradientPointer = valueGradient)
        fixed (T* parametersPointer = parameters)
        fixed (bool* maskPointer = keyPaddingMask)
        {
            var problem = new AttentionProblem<T>
            {
                Shape = shape, Scale = scaleValue, Causal = causal, Poisoned = poisoned,
                Query = queryPointer, Key = keyPointer, Value = valuePointer, Output = outputPointer, LogSumExp = logSumExpPointer,
                KeyPadding = keyPaddingMask.IsEmpty ? null : maskPointer, Parameters = parametersPointer, ParameterCount = parameterCount,
                OutputGradient = outputGradientPointer, QueryGradient = queryGradientPointer,
                KeyGradient = keyGradientPointer, ValueGradient = valueGradientPointer,
            };

            bool parallel = heads > 1 && Work(shape) >= ParallelThreshold;
            var scratch = parallel ? null : new AttentionScratch<T>(problem, backward: true);

            // Heads a group at a time, each head's sums in its own slot, added to the totals in head order: the same
            // additions in the same order as one pass over every head, in memory bounded by the group.
            for (long group = 0; group * headsPerGroup < heads; group++)
            {
                int firstHead = (int)(group * headsPerGroup), count = Math.Min(headsPerGroup, heads - firstHead);
                Array.Clear(sums);
                if (parallel)
                {
                    BackwardInParallel<TKernel, T>(problem, firstHead, count, sums);
                }
                else
                {
                    for (int head = 0; head < count; head++)
                    {
                        AttentionTiles<TKernel, T>.Backward(problem, firstHead + head, scratch!, sums.AsSpan(head * parameterCount, parameterCount));
                    }
                }

                for (int p = 0; p < parameterCount; p++)
                {
                    for (int head = 0; head < count; head++)
                    {
                        totals[p] += sums[head * parameterCount + p];
                    }
                }
            }

            for (int p = 0; p < parameterCount; p++)
            {
                // A NaN parameter σ reads makes every gradient NaN, even with nothing visible: the rule on every path.
                parameterGradients[p] = poisoned ? T.NaN : T.CreateTruncating(totals[p]);
            }
        }
    }

    // The parallel paths live in methods of their own: a lambda's closure is allocated on entry to the method that
    // declares what it captures, and the single-threaded path must not pay for it.
    private static void ForwardInParallel<TKernel, T>(AttentionProblem<T> problem, int heads, long items, int blocks)
        where TKernel : IModulatorKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (problem.KeysTransposed is not null)
        {
            Parallel.For(0, heads, head => AttentionTiles<TKernel, T>.TransposeKeys(problem, head));
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

    /// <summary>Head <c>firstHead + h</c> adds its parameter gradients to <c>sums[h·P .. (h+1)·P)</c>.</summary>
    private static void BackwardInParallel<TKernel, T>(AttentionProblem<T> problem, int firstHead, int count, double[] sums)
        where TKernel : IModulatorKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parameterCount = problem.ParameterCount;
        Parallel.For(
            0, count,
            () => new AttentionScratch<T>(problem, backward: true),
            (head, _, scratch) =>
            {
                AttentionTiles<TKernel, T>.Backward(problem, firstHead + head, scratch, sums.AsSpan(head * parameterCount, parameterCount));
                return scratch;
            },
            _ => { });
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

        if (shape.HeadSize > AttentionShape.MaxHeadSize)
        {
            return $"{name} has a head size of {shape.HeadSize}; the fused kernels take at most AttentionShape.MaxHeadSize = {AttentionShape.MaxHeadSize}.";
        }

        if (shape.Queries > AttentionShape.MaxSequenceLength || shape.Keys > AttentionShape.MaxSequenceLength)
        {
            return $"{name} has {shape.Queries} queries and {shape.Keys} keys; the fused kernels take at most AttentionShape.MaxSequenceLength = {AttentionShape.MaxSequenceLength} of each.";
        }

        if (shape.QueryLength > int.MaxValue || shape.KeyLength > int.MaxValue || shape.LogSumExpLength > int.MaxValue || shape.MaskLength > int.MaxValue)
        {
            return $"{name} describes more entries than a span can hold.";
        }

        return null;
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
