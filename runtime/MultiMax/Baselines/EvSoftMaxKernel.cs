using System;
using System.Numerics;
using System.Numerics.Tensors;
using MultiMax.CompilerServices;

namespace MultiMax.Baselines;

/// <summary>
/// EvSoftMax (Chen et al., 2021): SoftMax over the entries at or above the row's mean, 0 below it.
/// The mean is taken over the unmasked entries.
/// </summary>
internal readonly struct EvSoftMaxKernel<T> : INormalizerKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int ParameterCount => 0;

    public static void Forward(ReadOnlySpan<T> x, Span<T> y, int rowLength, ReadOnlySpan<T> parameters)
    {
        for (int start = 0; start < x.Length; start += rowLength)
        {
            ReadOnlySpan<T> row = x.Slice(start, rowLength);
            Span<T> output = y.Slice(start, rowLength);

            double sum = 0, max = double.NegativeInfinity;
            int count = 0;
            bool poisoned = false;
            foreach (T entry in row)
            {
                double value = double.CreateTruncating(entry);
                poisoned |= double.IsNaN(value) || double.IsPositiveInfinity(value);
                if (!double.IsNegativeInfinity(value))
                {
                    sum += value;
                    max = Math.Max(max, value);
                    count++;
                }
            }

            if (RowScratch.WriteSpecialRow(poisoned ? RowContent.Poisoned : count == 0 ? RowContent.FullyMasked : RowContent.Finite, output))
            {
                continue;
            }

            // Below the mean (of the unmasked entries) the exponent becomes −∞, so exp gives exactly 0; the maximum
            // is at or above the mean, so it is in the support and stabilises the exponentials. Each x[i] is read
            // before y[i] is written, which keeps in-place use correct.
            T mean = T.CreateTruncating(sum / count), top = T.CreateTruncating(max);
            for (int i = 0; i < rowLength; i++)
            {
                output[i] = row[i] >= mean ? row[i] - top : T.NegativeInfinity;
            }

            TensorPrimitives.Exp<T>(output, output);

            // Summed in double and in order, so that a row gives the same bits wherever it sits in memory.
            double total = 0;
            foreach (T p in output)
            {
                total += double.CreateTruncating(p);
            }

            TensorPrimitives.Divide<T>(output, T.CreateTruncating(total), output);
        }
    }

    /// <summary>
    /// The support changes only where an entry crosses the mean, so almost everywhere the gradient is SoftMax's on
    /// the support: dx = y∘(dy − yᵀdy), which is 0 off the support since y is.
    /// </summary>
    public static void Backward(
        ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int rowLength,
        ReadOnlySpan<T> parameters, Span<double> parameterGradients)
    {
        for (int start = 0; start < y.Length; start += rowLength)
        {
            ReadOnlySpan<T> output = y.Slice(start, rowLength), upstream = dy.Slice(start, rowLength);
            Span<T> gradient = dx.Slice(start, rowLength);
            double dot = 0;
            for (int i = 0; i < rowLength; i++)
            {
                dot += double.CreateTruncating(output[i]) * double.CreateTruncating(upstream[i]);
            }

            for (int i = 0; i < rowLength; i++)
            {
                double p = double.CreateTruncating(output[i]);
                gradient[i] = T.CreateTruncating(p * (double.CreateTruncating(upstream[i]) - dot));
            }
        }
    }
}
