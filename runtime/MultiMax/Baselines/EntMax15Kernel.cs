using System;
using System.Buffers;
using System.Numerics;
using MultiMax.CompilerServices;

namespace MultiMax.Baselines;

/// <summary>
/// 1.5-EntMax (Peters, Niculae &amp; Martins, 2019), by their exact sort-based algorithm:
/// y = max(x/2 − τ, 0)², with τ chosen so that the row sums to 1.
/// </summary>
internal readonly struct EntMax15Kernel<T> : INormalizerKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>(max/2 − τ)² ≤ 1, so τ ≥ max/2 − 1 and only x &gt; max − 2 can have weight.</summary>
    private const double SupportMargin = 2;

    public static int ParameterCount => 0;

    public static void Forward(ReadOnlySpan<T> x, Span<T> y, int rowLength, ReadOnlySpan<T> parameters)
    {
        double[] scratch = ArrayPool<double>.Shared.Rent(rowLength);
        try
        {
            for (int start = 0; start < x.Length; start += rowLength)
            {
                ReadOnlySpan<T> row = x.Slice(start, rowLength);
                Span<T> output = y.Slice(start, rowLength);
                RowContent content = RowScratch.GatherCandidates(row, scratch, SupportMargin, out int count);
                if (RowScratch.WriteSpecialRow(content, output))
                {
                    continue;
                }

                (double max, double tau) = Threshold(scratch.AsSpan(0, count));
                for (int i = 0; i < rowLength; i++)
                {
                    double r = Math.Max((double.CreateTruncating(row[i]) - max) / 2 - tau, 0);
                    output[i] = T.CreateTruncating(r * r);
                }
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// With z = (x − max x)/2 sorted descending, for each k the τ that makes the top k sum to 1 is
    /// mean_k − √((1 − k·var_k)/k); the support is the largest k whose τ_k ≤ z_(k), and τ is τ at that k.
    /// Returns max x too: the shift keeps the squares small.
    /// </summary>
    internal static (double Max, double Tau) Threshold(Span<double> finite)
    {
        finite.Sort();
        double max = finite[^1];
        double sum = 0, sumOfSquares = 0, tau = 0;
        for (int k = 1; k <= finite.Length; k++)
        {
            double z = (finite[^k] - max) / 2;
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

        return (max, tau);
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
