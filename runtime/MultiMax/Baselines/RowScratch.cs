using System;
using System.Numerics;

namespace MultiMax.Baselines;

/// <summary>What a row holds once its masked entries are set aside.</summary>
internal enum RowContent
{
    /// <summary>At least one finite entry; the candidates for the support were gathered.</summary>
    Finite,

    /// <summary>Every entry is −∞: the output row is all zeros.</summary>
    FullyMasked,

    /// <summary>A NaN or +∞: the output row is NaN.</summary>
    Poisoned,
}

/// <summary>Row steps the sort-based baselines share. Everything is computed in double, whatever the element type.</summary>
internal static class RowScratch
{
    /// <summary>
    /// Copies into <paramref name="candidates"/> the entries of <paramref name="row"/> above max − <paramref name="margin"/>:
    /// the only ones that can be in the support, since τ is at least that far below the maximum (τ ≥ max − 1 for
    /// SparseMax; max/2 − τ ≤ 1, so x &gt; max − 2, for 1.5-EntMax). The sort then runs over the candidates alone.
    /// −∞ entries are masked.
    /// </summary>
    public static RowContent GatherCandidates<T>(ReadOnlySpan<T> row, Span<double> candidates, double margin, out int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        count = 0;
        double max = double.NegativeInfinity;
        foreach (T value in row)
        {
            if (T.IsNaN(value) || T.IsPositiveInfinity(value))
            {
                return RowContent.Poisoned;
            }

            max = Math.Max(max, double.CreateTruncating(value));
        }

        if (double.IsNegativeInfinity(max))
        {
            return RowContent.FullyMasked;
        }

        double floor = max - margin;
        foreach (T value in row)
        {
            double v = double.CreateTruncating(value);
            if (v > floor)
            {
                candidates[count++] = v;
            }
        }

        return RowContent.Finite;
    }

    /// <summary>Writes the row for a fully masked or poisoned input and returns true; false for a finite one.</summary>
    public static bool WriteSpecialRow<T>(RowContent content, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (content)
        {
            case RowContent.FullyMasked:
                y.Clear();
                return true;
            case RowContent.Poisoned:
                y.Fill(T.NaN);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Whether a forward output row is poisoned: its gradient is NaN too.</summary>
    public static bool HasNaN<T>(ReadOnlySpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (T value in y)
        {
            if (T.IsNaN(value))
            {
                return true;
            }
        }

        return false;
    }
}
