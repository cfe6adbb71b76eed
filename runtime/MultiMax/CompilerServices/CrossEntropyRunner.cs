using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MultiMax.CompilerServices;

/// <summary>
/// Runs the fused output-layer loss of a generated <see cref="IModulatorKernel{T}"/>: the mean over counted tokens of
/// <c>−log SoftMax(σ(hidden·weightᵀ + bias))[target]</c>, with every argument checked before the first write, then
/// <see cref="CrossEntropyPass{TKernel, T}"/>'s chunks — never the [tokens × vocab] logits.
/// </summary>
/// <remarks>
/// Infrastructure for generated code (<c>&lt;Name&gt;CrossEntropy</c>, <c>&lt;Name&gt;CrossEntropyBackward</c>).
/// Tokens whose target is <c>ignoreIndex</c> contribute nothing; the mean is over the others, and with none the loss is
/// 0 and every gradient 0. A NaN learnable parameter makes the loss and every gradient NaN, as autograd of the formula does.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class CrossEntropyRunner
{
    /// <summary>Validates the arguments and returns the mean loss.</summary>
    public static double Loss<TKernel, T>(
        ReadOnlySpan<T> hidden, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<long> targets,
        CrossEntropyShape shape, ReadOnlySpan<T> parameters, long ignoreIndex,
        [CallerArgumentExpression(nameof(hidden))] string hiddenName = "hidden",
        [CallerArgumentExpression(nameof(weight))] string weightName = "weight",
        [CallerArgumentExpression(nameof(bias))] string biasName = "bias",
        [CallerArgumentExpression(nameof(targets))] string targetsName = "targets",
        [CallerArgumentExpression(nameof(shape))] string shapeName = "shape",
        [CallerArgumentExpression(nameof(parameters))] string parametersName = "parameters")
        where TKernel : IModulatorKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int counted = CheckInputs<TKernel, T>(hidden, weight, bias, targets, shape, parameters, ignoreIndex,
            hiddenName, weightName, biasName, targetsName, shapeName, parametersName);
        return Run<TKernel, T>(hidden, weight, bias, targets, shape, parameters, ignoreIndex, counted, withGradients: false, default, default, default, default);
    }

    /// <summary>
    /// Validates the arguments, writes the gradients of the mean loss with respect to hidden, weight, bias and σ's
    /// parameters (the parameter gradients overwritten), and returns the mean loss.
    /// </summary>
    public static double LossAndGradients<TKernel, T>(
        ReadOnlySpan<T> hidden, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<long> targets,
        CrossEntropyShape shape, ReadOnlySpan<T> parameters,
        Span<T> hiddenGradient, Span<T> weightGradient, Span<T> biasGradient, Span<T> parameterGradients, long ignoreIndex,
        [CallerArgumentExpression(nameof(hidden))] string hiddenName = "hidden",
        [CallerArgumentExpression(nameof(weight))] string weightName = "weight",
        [CallerArgumentExpression(nameof(bias))] string biasName = "bias",
        [CallerArgumentExpression(nameof(targets))] string targetsName = "targets",
        [CallerArgumentExpression(nameof(shape))] string shapeName = "shape",
        [CallerArgumentExpression(nameof(parameters))] string parametersName = "parameters",
        [CallerArgumentExpression(nameof(hiddenGradient))] string hiddenGradientName = "hiddenGradient",
        [CallerArgumentExpression(nameof(weightGradient))] string weightGradientName = "weightGradient",
        [CallerArgumentExpression(nameof(biasGradient))] string biasGradientName = "biasGradient",
        [CallerArgumentExpression(nameof(parameterGradients))] string parameterGradientsName = "parameterGradients")
        where TKernel : IModulatorKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int counted = CheckInputs<TKernel, T>(hidden, weight, bias, targets, shape, parameters, ignoreIndex,
            hiddenName, weightName, biasName, targetsName, shapeName, parametersName);
        CheckGradientLengths(shape, hiddenGradient.Length, weightGradient.Length, biasGradient.Length, bias.Length,
            hiddenGradientName, weightGradientName, biasGradientName, biasName);

        NormalizerArguments.CheckParameterCount(TKernel.ParameterCount, parameterGradients.Length, parameterGradientsName);

        // Every output needs memory of its own: no input (targets included), and no other output, may share a byte with it.
        NormalizerArguments.CheckSeparate<T>(hiddenGradient, hiddenGradientName, hidden, hiddenName, weight, weightName, bias, biasName, parameters, parametersName);
        NormalizerArguments.CheckSeparate<T>(weightGradient, weightGradientName, hidden, hiddenName, weight, weightName, bias, biasName, parameters, parametersName);
        NormalizerArguments.CheckSeparate<T>(biasGradient, biasGradientName, hidden, hiddenName, weight, weightName, bias, biasName, parameters, parametersName);
        NormalizerArguments.CheckSeparate<T>(parameterGradients, parameterGradientsName, hidden, hiddenName, weight, weightName, bias, biasName, parameters, parametersName);
        NormalizerArguments.CheckSeparate<T>(weightGradient, weightGradientName, hiddenGradient, hiddenGradientName, default, "", default, "", default, "");
        NormalizerArguments.CheckSeparate<T>(biasGradient, biasGradientName, hiddenGradient, hiddenGradientName, weightGradient, weightGradientName, default, "", default, "");
        NormalizerArguments.CheckSeparate<T>(parameterGradients, parameterGradientsName, hiddenGradient, hiddenGradientName, weightGradient, weightGradientName, biasGradient, biasGradientName, default, "");
        ReadOnlySpan<byte> targetBytes = MemoryMarshal.AsBytes(targets);
        NormalizerArguments.CheckNoOverlap(targetBytes, MemoryMarshal.AsBytes<T>(hiddenGradient), targetsName, hiddenGradientName);
        NormalizerArguments.CheckNoOverlap(targetBytes, MemoryMarshal.AsBytes<T>(weightGradient), targetsName, weightGradientName);
        NormalizerArguments.CheckNoOverlap(targetBytes, MemoryMarshal.AsBytes<T>(biasGradient), targetsName, biasGradientName);
        NormalizerArguments.CheckNoOverlap(targetBytes, MemoryMarshal.AsBytes<T>(parameterGradients), targetsName, parameterGradientsName);

        return Run<TKernel, T>(hidden, weight, bias, targets, shape, parameters, ignoreIndex, counted,
            withGradients: true, hiddenGradient, weightGradient, biasGradient, parameterGradients);
    }

    private static double Run<TKernel, T>(
        ReadOnlySpan<T> hidden, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<long> targets,
        CrossEntropyShape shape, ReadOnlySpan<T> parameters, long ignoreIndex, int counted, bool withGradients,
        Span<T> hiddenGradient, Span<T> weightGradient, Span<T> biasGradient, Span<T> parameterGradients)
        where TKernel : IModulatorKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (counted == 0)
        {
            // Nothing counts: the mean over no tokens is defined as 0, not 0/0, and so is every gradient.
            hiddenGradient.Clear();
            weightGradient.Clear();
            biasGradient.Clear();
            parameterGradients.Clear();
            return 0;
        }

        if (TKernel.IsPoisoned(parameters))
        {
            hiddenGradient.Fill(T.NaN);
            weightGradient.Fill(T.NaN);
            biasGradient.Fill(T.NaN);
            parameterGradients.Fill(T.NaN);
            return double.NaN;
        }

        Span<double> parameterSums = stackalloc double[parameters.Length];
        double loss;
        fixed (T* hiddenPointer = hidden, weightPointer = weight, biasPointer = bias, parametersPointer = parameters)
        fixed (T* hiddenGradientPointer = hiddenGradient, weightGradientPointer = weightGradient, biasGradientPointer = biasGradient)
        fixed (long* targetsPointer = targets)
        {
            var pass = new CrossEntropyPass<TKernel, T>(
                shape, hiddenPointer, weightPointer, bias.IsEmpty ? null : biasPointer, targetsPointer, ignoreIndex,
                parametersPointer, parameters.Length, withGradients,
                hiddenGradientPointer, weightGradientPointer, bias.IsEmpty ? null : biasGradientPointer);
            loss = pass.Run(counted, parameterSums);
        }

        for (int p = 0; p < parameterGradients.Length; p++)
        {
            parameterGradients[p] = T.CreateTruncating(parameterSums[p]);
        }

        return loss / counted;
    }

    /// <summary>Checks the inputs and returns how many tokens count (their target is not <paramref name="ignoreIndex"/>).</summary>
    private static int CheckInputs<TKernel, T>(
        ReadOnlySpan<T> hidden, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<long> targets,
        CrossEntropyShape shape, ReadOnlySpan<T> parameters, long ignoreIndex,
        string hiddenName, string weightName, string biasName, string targetsName, string shapeName, string parametersName)
        where TKernel : IModulatorKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckShape(shape, shapeName);
        if (!ChunkFits<T>(shape))
        {
            throw new ArgumentOutOfRangeException(shapeName, shape, $"{shapeName} has a vocabulary too large for one chunk of logits.");
        }

        CheckInputLengths(shape, hidden.Length, weight.Length, bias.Length, targets.Length, hiddenName, weightName, biasName, targetsName);
        NormalizerArguments.CheckParameterCount(TKernel.ParameterCount, parameters.Length, parametersName);
        return CountTargets(targets, shape.Vocab, ignoreIndex, targetsName);
    }

    /// <summary>Whether the fused kernels in element type <typeparamref name="T"/> take a call of this shape.</summary>
    public static bool Fits<T>(CrossEntropyShape shape)
        where T : unmanaged => ShapeProblem(shape, "shape") is null && ChunkFits<T>(shape);

    /// <summary>The budget of a chunk's logits, and of its turned hidden states: it sets how many tokens a chunk holds.</summary>
    internal const long ChunkBytes = 32L << 20;

    /// <summary>
    /// Tokens per chunk: as many as <see cref="ChunkBytes"/> of logits — and of turned hidden states, for a dim larger
    /// than the vocabulary — hold, at least one vector pair, at most all.
    /// </summary>
    internal static int ChunkColumns<T>(CrossEntropyShape shape)
        where T : unmanaged
    {
        int align = 2 * Vector<T>.Count;
        long fit = ChunkBytes / ((long)Math.Max(1, Math.Max(shape.Vocab, shape.Dim)) * Unsafe.SizeOf<T>()) / align * align;
        long all = ((long)shape.Tokens + align - 1) / align * align;
        return (int)Math.Max(align, Math.Min(fit, all));
    }

    /// <summary>Whether a chunk's logits, vocab × its tokens, fit one array.</summary>
    private static bool ChunkFits<T>(CrossEntropyShape shape)
        where T : unmanaged => (long)shape.Vocab * ChunkColumns<T>(shape) <= Array.MaxLength;

    // The checks below are shared with the GPU operator (MultiMax.Gpu's GpuCrossEntropyRunner), which passes lengths.

    internal static void CheckShape(CrossEntropyShape shape, string name)
    {
        if (ShapeProblem(shape, name) is { } problem)
        {
            throw new ArgumentOutOfRangeException(name, shape, problem);
        }
    }

    private static string? ShapeProblem(CrossEntropyShape shape, string name)
    {
        if (shape.Tokens < 0 || shape.Dim < 0 || shape.Vocab <= 0)
        {
            return $"{name} must have a positive vocab, and no negative token count or dim.";
        }

        if (shape.Dim > CrossEntropyShape.MaxDim)
        {
            return $"{name} has a dim of {shape.Dim}; the fused kernels take at most CrossEntropyShape.MaxDim = {CrossEntropyShape.MaxDim}.";
        }

        return null;
    }

    internal static void CheckInputLengths(
        CrossEntropyShape shape, long hidden, long weight, long bias, long targets, string hiddenName, string weightName, string biasName, string targetsName)
    {
        NormalizerArguments.CheckLength(hidden, shape.HiddenLength, hiddenName, "tokens × dim");
        NormalizerArguments.CheckLength(weight, shape.WeightLength, weightName, "vocab × dim");
        NormalizerArguments.CheckLength(targets, shape.Tokens, targetsName, "tokens");
        if (bias != 0)
        {
            NormalizerArguments.CheckLength(bias, shape.Vocab, biasName, "vocab (or empty: no bias)");
        }
    }

    internal static void CheckGradientLengths(
        CrossEntropyShape shape, long hiddenGradient, long weightGradient, long biasGradient, long bias,
        string hiddenGradientName, string weightGradientName, string biasGradientName, string biasName)
    {
        NormalizerArguments.CheckLength(hiddenGradient, shape.HiddenLength, hiddenGradientName, "tokens × dim");
        NormalizerArguments.CheckLength(weightGradient, shape.WeightLength, weightGradientName, "vocab × dim");
        if (biasGradient != bias)
        {
            throw new ArgumentException(
                $"{biasGradientName} has {NormalizerArguments.Count(biasGradient, "entry")} but {biasName} has {bias}: it must be empty without a bias and hold vocab = {shape.Vocab} entries with one.",
                biasGradientName);
        }
    }

    /// <summary>How many tokens count (their target is not <paramref name="ignoreIndex"/>); any other target outside the vocabulary throws.</summary>
    internal static int CountTargets(ReadOnlySpan<long> targets, int vocab, long ignoreIndex, string name)
    {
        int counted = 0;
        for (int t = 0; t < targets.Length; t++)
        {
            long target = targets[t];
            if (target == ignoreIndex)
            {
                continue;
            }

            if ((ulong)target >= (ulong)vocab)
            {
                throw new ArgumentOutOfRangeException(name, target,
                    $"{name}[{t}] is {target}: a target must be a class in [0, {vocab}) or the ignore index {ignoreIndex}.");
            }

            counted++;
        }

        return counted;
    }
}
