using System;
using System.ComponentModel;
using ILGPU;
using ILGPU.Runtime;
using MultiMax.CompilerServices;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// What generated <c>&lt;Name&gt;Gpu.CrossEntropy</c>/<c>CrossEntropyBackward</c> call: the CPU runner's argument checks
/// and messages before any launch (the targets are copied to the host for them: a target that is neither a class nor
/// the ignore index is an exception, not a wrong loss), each pass's tiles, and the mean of the per-token losses.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GpuCrossEntropyRunner
{
    /// <summary>Checks a loss call's views and targets; returns the settings, with the number of counted tokens.</summary>
    public static GpuCrossEntropyTiles CheckLoss<T>(
        AcceleratorStream stream, ArrayView<T> hidden, ArrayView<T> weight, ArrayView<T> bias, ArrayView<long> targets,
        CrossEntropyShape shape, ArrayView<T> parameters, int parameterCount, long ignoreIndex)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (shape.Tokens < 0 || shape.Dim <= 0 || shape.Vocab <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(shape), shape, "shape must have a positive dim and vocab, and no negative token count.");
        }

        NormalizerArguments.CheckLength(Clamp(hidden.Length), shape.HiddenLength, "hidden", "tokens × dim");
        NormalizerArguments.CheckLength(Clamp(weight.Length), shape.WeightLength, "weight", "vocab × dim");
        NormalizerArguments.CheckLength(Clamp(targets.Length), shape.Tokens, "targets", "tokens");
        if (bias.Length != 0)
        {
            NormalizerArguments.CheckLength(Clamp(bias.Length), shape.Vocab, "bias", "vocab (or empty: no bias)");
        }

        NormalizerArguments.CheckParameterCount(parameterCount, Clamp(parameters.Length), "parameters");
        int counted = 0;
        if (targets.Length > 0)
        {
            var host = new long[targets.Length];
            targets.CopyToCPU(stream, host);
            stream.Synchronize();
            for (int t = 0; t < host.Length; t++)
            {
                if (host[t] == ignoreIndex)
                {
                    continue;
                }

                if ((ulong)host[t] >= (ulong)shape.Vocab)
                {
                    throw new ArgumentOutOfRangeException(nameof(targets), host[t],
                        $"targets[{t}] is {host[t]}: a target must be a class in [0, {shape.Vocab}) or the ignore index {ignoreIndex}.");
                }

                counted++;
            }
        }

        return new GpuCrossEntropyTiles(shape, bias.Length != 0, ignoreIndex, counted, block: 1);
    }

    /// <summary>Checks a loss-and-gradients call's views; returns the settings, with the number of counted tokens.</summary>
    public static GpuCrossEntropyTiles CheckLossAndGradients<T>(
        AcceleratorStream stream, ArrayView<T> hidden, ArrayView<T> weight, ArrayView<T> bias, ArrayView<long> targets,
        CrossEntropyShape shape, ArrayView<T> parameters, int parameterCount,
        ArrayView<T> hiddenGradient, ArrayView<T> weightGradient, ArrayView<T> biasGradient, ArrayView<T> parameterGradients, long ignoreIndex)
        where T : unmanaged
    {
        // The lengths and overlaps first: a bad output must not cost the copy of the targets.
        NormalizerArguments.CheckLength(Clamp(hiddenGradient.Length), shape.HiddenLength, "hiddenGradient", "tokens × dim");
        NormalizerArguments.CheckLength(Clamp(weightGradient.Length), shape.WeightLength, "weightGradient", "vocab × dim");
        if (biasGradient.Length != bias.Length)
        {
            throw new ArgumentException(
                $"biasGradient has {NormalizerArguments.Count(biasGradient.Length, "entry")} but bias has {bias.Length}: it must be empty without a bias and hold vocab = {shape.Vocab} entries with one.",
                nameof(biasGradient));
        }

        NormalizerArguments.CheckParameterCount(parameterCount, Clamp(parameterGradients.Length), "parameterGradients");
        (ArrayView<T> View, string Name)[] inputs = [(hidden, "hidden"), (weight, "weight"), (bias, "bias"), (parameters, "parameters")];
        (ArrayView<T> View, string Name)[] outputs =
            [(hiddenGradient, "hiddenGradient"), (weightGradient, "weightGradient"), (biasGradient, "biasGradient"), (parameterGradients, "parameterGradients")];
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

        return CheckLoss(stream, hidden, weight, bias, targets, shape, parameters, parameterCount, ignoreIndex);
    }

    /// <summary>The launch of one pass: one group per block of tokens (or of classes) and the tile size that fits.</summary>
    public static (KernelConfig Launch, GpuCrossEntropyTiles Tiles) Plan<T>(Accelerator accelerator, GpuCrossEntropyTiles settings, GpuCrossEntropyPass pass)
        where T : unmanaged
    {
        int rowTiles = pass == GpuCrossEntropyPass.Statistics ? 2 : 3; // h and W; or h, W and dW (dh)
        (KernelConfig launch, int block) = GpuTiles.Plan<T>(accelerator, settings.Dim, rowTiles, squareTiles: 1,
            block => pass == GpuCrossEntropyPass.Classes ? settings.WithBlock(block).ClassBlocks : settings.WithBlock(block).TokenBlocks,
            "dim");
        return (launch, settings.WithBlock(block));
    }

    /// <summary>
    /// The mean over counted tokens of the per-token losses the statistics pass wrote: summed on the device in a fixed
    /// order, in double, then divided on the host. Waits for the stream.
    /// </summary>
    public static double MeanLoss<T>(AcceleratorStream stream, GpuCrossEntropyScratch<T> scratch, GpuCrossEntropyTiles settings)
        where T : unmanaged
    {
        // The per-token losses are a [tokens, 1] table of partial sums: one column to sum.
        GpuNormalizerRunner.SumPartials(stream, scratch.Losses, settings.Tokens, scratch.Total);
        var total = new double[1];
        scratch.Total.CopyToCPU(stream, total);
        stream.Synchronize();
        return total[0] / settings.Counted;
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

    private static int Clamp(long length) => (int)Math.Min(int.MaxValue, length);
}
