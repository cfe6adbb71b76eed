using System.Collections.Generic;

namespace MultiMax.CompilerServices;

/// <summary>
/// How the attention backward splits into units that run on one thread each: every query head that adds to the same
/// gradient entries is in one unit, run in a fixed order, so that every sum is the same bits on every run. The heads
/// of a grouped-query group share their key/value head's dK and dV; with a bias gradient, the heads a broadcast bias
/// extent joins share its entries too (a bias shared by the batch joins every sequence's head h; one shared by the
/// heads joins a sequence's heads).
/// </summary>
/// <param name="Shape">The call's shape.</param>
/// <param name="MergeBatch">Whether one unit spans every sequence (a bias gradient broadcast over the batch).</param>
/// <param name="MergeHeads">Whether one unit spans every head of a sequence (a bias gradient broadcast over the heads).</param>
internal readonly record struct BackwardUnits(AttentionShape Shape, bool MergeBatch, bool MergeHeads)
{
    private int BatchUnits => MergeBatch ? 1 : Shape.Batch;

    private int HeadUnits => MergeHeads ? 1 : Shape.KeyValueHeads;

    /// <summary>The number of units.</summary>
    public int Count => Shape.Batch == 0 ? 0 : BatchUnits * HeadUnits;

    /// <summary>The query heads in one unit.</summary>
    public int HeadsPerUnit => (MergeBatch ? Shape.Batch : 1) * (MergeHeads ? Shape.Heads : Shape.GroupSize);

    /// <summary>The query heads (over the batch) of unit <paramref name="unit"/>, in the order they run: sequence by sequence, head by head.</summary>
    public IEnumerable<int> Heads(int unit)
    {
        (int firstBatch, int endBatch, int headUnit) = Batches(unit);
        int firstHead = MergeHeads ? 0 : headUnit * Shape.GroupSize, endHead = MergeHeads ? Shape.Heads : firstHead + Shape.GroupSize;
        for (int batch = firstBatch; batch < endBatch; batch++)
        {
            for (int head = firstHead; head < endHead; head++)
            {
                yield return batch * Shape.Heads + head;
            }
        }
    }

    /// <summary>The key/value heads (over the batch) whose dK and dV unit <paramref name="unit"/> writes.</summary>
    public IEnumerable<int> KeyHeads(int unit)
    {
        (int firstBatch, int endBatch, int headUnit) = Batches(unit);
        int firstKeyHead = MergeHeads ? 0 : headUnit, endKeyHead = MergeHeads ? Shape.KeyValueHeads : headUnit + 1;
        for (int batch = firstBatch; batch < endBatch; batch++)
        {
            for (int keyHead = firstKeyHead; keyHead < endKeyHead; keyHead++)
            {
                yield return batch * Shape.KeyValueHeads + keyHead;
            }
        }
    }

    private (int FirstBatch, int EndBatch, int HeadUnit) Batches(int unit)
    {
        int batchUnit = unit / HeadUnits, headUnit = unit % HeadUnits;
        return MergeBatch ? (0, Shape.Batch, headUnit) : (batchUnit, batchUnit + 1, headUnit);
    }
}
