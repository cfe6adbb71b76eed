using System;
using System.ComponentModel;
using ILGPU;
using ILGPU.Runtime;
using MultiMax.CompilerServices;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// What <see cref="GpuCrossEntropyKernels"/>' host methods call: the CPU runner's argument checks
/// and messages before any launch (the targets are copied to the host for them: a target that is neither a class nor
/// the ignore index is an exception, not a wrong loss), each pass's tiles, and the mean of the per-token losses.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GpuCrossEntropyRunner
{
    /// <summary>Checks a loss call's views and targets; returns the settings, with the number of counted tokens.</summary>
    public static GpuCrossEntropySettings CheckLoss<T>(
        AcceleratorStream stream, ArrayView<T> hidden, ArrayView<T> weight, ArrayView<T> bias, ArrayView<long> targets,
        CrossEntropyShape shape, ArrayView<T> parameters, int parameterCount, long ignoreIndex)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckInputs(hidden, weight, bias, targets, shape, parameters, parameterCount);
        return Settings(stream, targets, shape, bias.Length != 0, ignoreIndex);
    }

    /// <summary>
    /// Checks a loss-and-gradients call's views and targets, in the CPU runner's order (inputs, outputs, then the
    /// targets, whose copy a bad output then never costs); returns the settings, with the number of counted tokens.
    /// </summary>
    public static GpuCrossEntropySettings CheckLossAndGradients<T>(
        AcceleratorStream stream, ArrayView<T> hidden, ArrayView<T> weight, ArrayView<T> bias, ArrayView<long> targets,
        CrossEntropyShape shape, ArrayView<T> parameters, int parameterCount,
        ArrayView<T> hiddenGradient, ArrayView<T> weightGradient, ArrayView<T> biasGradient, ArrayView<T> parameterGradients, long ignoreIndex)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckInputs(hidden, weight, bias, targets, shape, parameters, parameterCount);
        CrossEntropyRunner.CheckGradientLengths(shape, hiddenGradient.Length, weightGradient.Length, biasGradient.Length, bias.Length,
            "hiddenGradient", "weightGradient", "biasGradient", "bias");

        NormalizerArguments.CheckParameterCount(parameterCount, parameterGradients.Length, "parameterGradients");
        GpuNormalizerRunner.CheckOutputsSeparate(
            [(hidden, "hidden"), (weight, "weight"), (bias, "bias"), (parameters, "parameters")],
            [(hiddenGradient, "hiddenGradient"), (weightGradient, "weightGradient"), (biasGradient, "biasGradient"), (parameterGradients, "parameterGradients")]);
        return Settings(stream, targets, shape, bias.Length != 0, ignoreIndex);
    }

    /// <summary>
    /// The launch of one pass: one group per block of tokens (or of classes) and the tile size that fits beside the
    /// pass's static shared memory (its per-token arrays and, in the class pass, one group reduction per parameter).
    /// </summary>
    public static (KernelConfig Launch, GpuCrossEntropySettings Tiles) Plan<T>(Accelerator accelerator, GpuCrossEntropySettings settings, GpuCrossEntropyKernelKind kernel, int parameterCount)
        where T : unmanaged
    {
        int rowTiles = kernel == GpuCrossEntropyKernelKind.Statistics ? 2 : 3; // h and W; or h, W and dW (dh)
        int rowArrays = kernel == GpuCrossEntropyKernelKind.Tokens ? 3 : 4;    // m, log l (or l), target; σ at the target, or db
        int reductions = kernel == GpuCrossEntropyKernelKind.Classes ? parameterCount : 0;
        int staticBytes = rowArrays * GpuTiles.RowArrayBytes + reductions * GroupReduce.SharedBytes;
        (KernelConfig launch, int block) = GpuTiles.Plan<T>(accelerator, settings.Dim, rowTiles, squareTiles: 1, staticBytes,
            block => kernel == GpuCrossEntropyKernelKind.Classes ? settings.WithBlock(block).ClassBlocks : settings.WithBlock(block).TokenBlocks,
            "dim");
        return (launch, settings.WithBlock(block));
    }

    /// <summary>
    /// The mean over counted tokens of the per-token losses the statistics pass wrote: summed on the device in a fixed
    /// order, in double, then divided on the host. Waits for the stream.
    /// </summary>
    public static double MeanLoss<T>(AcceleratorStream stream, GpuCrossEntropyScratch<T> scratch, GpuCrossEntropySettings settings)
        where T : unmanaged
    {
        // The per-token losses are a [tokens, 1] table of partial sums: one column to sum.
        GpuNormalizerRunner.SumPartials(stream, scratch.Losses, settings.Tokens, scratch.Total);
        var total = new double[1];
        scratch.Total.CopyToCPU(stream, total);
        stream.Synchronize();
        return total[0] / settings.Counted;
    }

    private static void CheckInputs<T>(
        ArrayView<T> hidden, ArrayView<T> weight, ArrayView<T> bias, ArrayView<long> targets, CrossEntropyShape shape, ArrayView<T> parameters, int parameterCount)
        where T : unmanaged
    {
        CrossEntropyRunner.CheckShape(shape, "shape");
        CrossEntropyRunner.CheckInputLengths(shape, hidden.Length, weight.Length, bias.Length, targets.Length, "hidden", "weight", "bias", "targets");
        NormalizerArguments.CheckParameterCount(parameterCount, parameters.Length, "parameters");
    }

    /// <summary>Copies the targets to the host, checks each, and returns the settings with the number that count.</summary>
    private static GpuCrossEntropySettings Settings(AcceleratorStream stream, ArrayView<long> targets, CrossEntropyShape shape, bool hasBias, long ignoreIndex)
    {
        var host = new long[targets.Length];
        if (host.Length > 0)
        {
            targets.CopyToCPU(stream, host);
            stream.Synchronize();
        }

        int counted = CrossEntropyRunner.CountTargets(host, shape.Vocab, ignoreIndex, nameof(targets));
        return new GpuCrossEntropySettings(shape, hasBias, ignoreIndex, counted, block: 1);
    }

    /// <summary>Zeroes the gradients of a call in which no token counts (the mean over no tokens is 0, and so is every gradient).</summary>
    public static void ClearGradients<T>(AcceleratorStream stream, ArrayView<T> hiddenGradient, ArrayView<T> weightGradient, ArrayView<T> biasGradient, ArrayView<T> parameterGradients)
        where T : unmanaged
    {
        foreach (ArrayView<T> view in new[] { hiddenGradient, weightGradient, biasGradient, parameterGradients })
        {
            if (view.Length > 0)
            {
                view.MemSetToZero(stream);
            }
        }

        stream.Synchronize();
    }
}
