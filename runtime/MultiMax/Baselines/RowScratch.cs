using System;
using System.Numerics;

namespace MultiMax.Baselines;

/// <summary>What a row holds once its masked entries are set aside.</summary>
internal enum RowContent
{
    /// <summary>At least one finite entry; the finite entries were gathered.</summary>
    Finite,

    /// <summary>Every entry is −∞: the output row is all zeros.</summary>
    FullyMasked,

    /// <summary>A NaN or +∞: the output row is NaN.</summary>
    Poisoned,
}

/// <summary>Row steps the sort-based baselines share. Everything is computed in double, whatever the element type.</summary>
internal static class RowScratch
{
    /// <summary>Copies the finite entries of <paramref name="row"/> into <paramref name="finite"/>; −∞ entries are masked.</summary>
    public static RowContent Gather<T>(ReadOnlySpan<T> row, Span<double> finite, out int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        count = 0;
        foreach (T value in row)
        {
            if (T.IsNaN(value) || T.IsPositiveInfinity(value))
            {
                return RowContent.Poisoned;
            }

            if (!T.IsNegativeInfinity(value))
            {
                finite[count++] = double.CreateTruncating(value);
            }
        }

        return count == 0 ? RowContent.FullyMasked : RowContent.Finite;
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
