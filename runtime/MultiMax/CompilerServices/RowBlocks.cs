using System;

namespace MultiMax.CompilerServices;

/// <summary>
/// Splits a matrix into contiguous blocks of whole rows for the thread pool. The split depends only on the
/// shape and the processor count, never on scheduling, so parameter gradients (summed per block, then over
/// blocks in order) are reproducible run to run.
/// </summary>
internal static class RowBlocks
{
    /// <summary>Below this many entries a matrix is normalized on the calling thread: a fork costs more than it saves.</summary>
    public const int ParallelThreshold = 1 << 15;

    /// <summary>The smallest share of entries worth handing to another thread.</summary>
    private const int MinimumEntriesPerBlock = 1 << 13;

    public static int Count(int rows, int rowLength)
    {
        long entries = (long)rows * rowLength;
        if (rows < 2 || entries < ParallelThreshold || Environment.ProcessorCount < 2)
        {
            return 1;
        }

        // A few blocks per core balance uneven progress without paying much per block.
        long byWork = entries / MinimumEntriesPerBlock;
        return (int)Math.Max(1, Math.Min(Math.Min(rows, 4L * Environment.ProcessorCount), byWork));
    }

    /// <summary>The first row and the row count of block <paramref name="block"/> of <paramref name="blocks"/>.</summary>
    public static (int FirstRow, int RowCount) Range(int block, int blocks, int rows)
    {
        int quotient = rows / blocks, remainder = rows % blocks;
        int first = block * quotient + Math.Min(block, remainder);
        return (first, quotient + (block < remainder ? 1 : 0));
    }
}
