using System;
using System.Buffers;
using System.Numerics;

namespace MultiMax.Baselines;

/// <summary>The forward pass shared by the sort-based normalizers: per row, gather the candidates, sort, threshold, map.</summary>
internal static class SortedThreshold
{
    public static void Forward<TRule, T>(ReadOnlySpan<T> x, Span<T> y, int rowLength)
        where TRule : ISortedThreshold
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // One buffer per block of rows, not per row.
        double[] scratch = ArrayPool<double>.Shared.Rent(rowLength);
        try
        {
            for (int start = 0; start < x.Length; start += rowLength)
            {
                ReadOnlySpan<T> row = x.Slice(start, rowLength);
                Span<T> output = y.Slice(start, rowLength);
                RowContent content = RowScratch.GatherCandidates(row, scratch, TRule.SupportMargin, out int count);
                if (RowScratch.WriteSpecialRow(content, output))
                {
                    continue;
                }

                Span<double> candidates = scratch.AsSpan(0, count);
                candidates.Sort();
                double max = candidates[^1], tau = TRule.Threshold(candidates);
                for (int i = 0; i < rowLength; i++)
                {
                    // Masked entries (−∞) get 0; reading x[i] before writing y[i] keeps in-place use correct.
                    double value = double.CreateTruncating(row[i]);
                    output[i] = double.IsNegativeInfinity(value) ? T.Zero : T.CreateTruncating(TRule.Weight(value, max, tau));
                }
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scratch);
        }
    }
}
