using System;
using System.Numerics;
using MultiMax.CompilerServices;

namespace MultiMax.Baselines;

/// <summary>
/// 1.5-EntMax (Peters, Niculae &amp; Martins, 2019), by their exact sort-based algorithm:
/// y = max(x/2 − τ, 0)², with τ chosen so that the row sums to 1.
/// </summary>
internal readonly struct EntMax15Kernel<T> : INormalizerKernel<T>, ISortedThreshold
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>(max/2 − τ)² ≤ 1, so τ ≥ max/2 − 1 and only x &gt; max − 2 can have weight.</summary>
    public static double SupportMargin => 2;

    public static int ParameterCount => 0;

    public static void Forward(ReadOnlySpan<T> x, Span<T> y, int rowLength, ReadOnlySpan<T> parameters) =>
        SortedThreshold.Forward<EntMax15Kernel<T>, T>(x, y, rowLength);

    /// <summary>
    /// With z = (x − max x)/2 sorted descending, for each k the τ that makes the top k sum to 1 is
    /// mean_k − √((1 − k·var_k)/k); the support is the largest k whose τ_k ≤ z_(k), and τ is τ at that k.
    /// The shift by the maximum keeps the squares small.
    /// </summary>
    public static double Threshold(ReadOnlySpan<double> sortedCandidates)
    {
        double max = sortedCandidates[^1];
        double sum = 0, sumOfSquares = 0, tau = 0;
        for (int k = 1; k <= sortedCandidates.Length; k++)
        {
            double z = (sortedCandidates[^k] - max) / 2;
            sum += z;
            sumOfSquares += z * z;
            double mean = sum / k;
            double spread = k * (sumOfSquares / k - mean * mean);
            double candidate = mean - Math.Sqrt(Math.Max((1 - spread) / k, 0));
            if (candidate > z)
            {
                break;
            }

            tau = candidate;
        }

        return tau;
    }

    public static double Weight(double x, double max, double tau)
    {
        double r = Math.Max((x - max) / 2 - tau, 0);
        return r * r;
    }

    /// <summary>With s = √y: dx = s∘dy − s·(sᵀdy)/Σs (the factor 2 of y = (x/2 − τ)² cancels).</summary>
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

            double weighted = 0, total = 0;
            for (int i = 0; i < rowLength; i++)
            {
                double s = Math.Sqrt(double.CreateTruncating(output[i]));
                weighted += s * double.CreateTruncating(upstream[i]);
                total += s;
            }

            double q = total == 0 ? 0 : weighted / total;
            for (int i = 0; i < rowLength; i++)
            {
                double s = Math.Sqrt(double.CreateTruncating(output[i]));
                gradient[i] = T.CreateTruncating(s * (double.CreateTruncating(upstream[i]) - q));
            }
        }
    }
}
