using System;
using System.Numerics;
using MultiMax.CompilerServices;

namespace MultiMax.Baselines;

/// <summary>
/// SparseMax (Martins &amp; Astudillo, 2016): the Euclidean projection of a row onto the probability simplex,
/// y = max(x − τ, 0), with τ from one sort of the row.
/// </summary>
internal readonly struct SparseMaxKernel<T> : INormalizerKernel<T>, ISortedThreshold
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>τ ≥ max − 1 (the top entry alone would hold more than everything), so only x &gt; max − 1 can count.</summary>
    public static double SupportMargin => 1;

    public static int ParameterCount => 0;

    public static void Forward(ReadOnlySpan<T> x, Span<T> y, int rowLength, ReadOnlySpan<T> parameters) =>
        SortedThreshold.Forward<SparseMaxKernel<T>, T>(x, y, rowLength);

    /// <summary>
    /// τ = (Σ_{j≤k} z_(j) − 1) / k for the largest k with 1 + k·z_(k) &gt; Σ_{j≤k} z_(j), z sorted descending.
    /// The condition holds exactly for k up to the support size, so the scan stops at its first failure.
    /// </summary>
    public static double Threshold(ReadOnlySpan<double> sortedCandidates)
    {
        double sum = 0, supportSum = 0;
        int support = 0;
        for (int k = 1; k <= sortedCandidates.Length; k++)
        {
            double z = sortedCandidates[^k];
            sum += z;
            if (1 + k * z <= sum)
            {
                break;
            }

            support = k;
            supportSum = sum;
        }

        return (supportSum - 1) / support;
    }

    public static double Weight(double x, double max, double tau) => Math.Max(x - tau, 0);

    /// <summary>On the support S = {y &gt; 0}: dx = dy − mean_S(dy); elsewhere 0.</summary>
    public static void Backward(
        ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int rowLength,
        ReadOnlySpan<T> parameters, Span<double> parameterGradients)
    {
        for (int start = 0; start < y.Length; start += rowLength)
        {
            ReadOnlySpan<T> output = y.Slice(start, rowLength), upstream = dy.Slice(start, rowLength);
            Span<T> gradient = dx.Slice(start, rowLength);
            if (RowScratch.HasNaN(output))
            {
                gradient.Fill(T.NaN);
                continue;
            }

            double sum = 0;
            int support = 0;
            for (int i = 0; i < rowLength; i++)
            {
                if (output[i] > T.Zero)
                {
                    sum += double.CreateTruncating(upstream[i]);
                    support++;
                }
            }

            double mean = support == 0 ? 0 : sum / support;
            for (int i = 0; i < rowLength; i++)
            {
                gradient[i] = output[i] > T.Zero ? T.CreateTruncating(double.CreateTruncating(upstream[i]) - mean) : T.Zero;
            }
        }
    }
}
