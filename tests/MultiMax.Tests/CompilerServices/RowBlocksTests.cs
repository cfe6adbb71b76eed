using System.Linq;
using MultiMax.CompilerServices;
using Xunit;

namespace MultiMax.Tests.CompilerServices;

public class RowBlocksTests
{
    [Theory]
    [InlineData(1, 100_000)]
    [InlineData(10, 10)]
    [InlineData(75_648, 197)]
    [InlineData(4096, 4096)]
    [InlineData(7, 100_000)]
    public void BlocksCoverEveryRowExactlyOnceInOrder(int rows, int rowLength)
    {
        int blocks = RowBlocks.Count(rows, rowLength);
        Assert.InRange(blocks, 1, rows);
        var ranges = Enumerable.Range(0, blocks).Select(b => RowBlocks.Range(b, blocks, rows)).ToArray();
        Assert.Equal(0, ranges[0].FirstRow);
        for (int b = 1; b < blocks; b++)
        {
            Assert.Equal(ranges[b - 1].FirstRow + ranges[b - 1].RowCount, ranges[b].FirstRow);
        }

        Assert.Equal(rows, ranges.Sum(r => r.RowCount));
        Assert.All(ranges, r => Assert.True(r.RowCount > 0));
    }

    [Fact]
    public void SmallMatricesStayOnTheCallingThread() => Assert.Equal(1, RowBlocks.Count(10, 100));
}
