using System;
using System.Collections.Generic;

namespace MultiMax.CompilerServices;

/// <summary>
/// How the attention backward splits into units that run on one thread each: every query head that adds to the same
/// gradient entries is in one unit, run in a fixed order, so that every sum is the same bits on every run. The heads
/// of a grouped-query group share their key/value head's dK and dV; with a bias gradient broadcast over the heads, a
/// sequence's heads share its entries. A bias gradient broadcast over the batch would join every sequence into one
/// unit per head; instead the batch is cut into at most <see cref="MaxBatchPartials"/> fixed parts, each adding into
/// a bias gradient of its own, and the parts are added in order at the end.
/// </summary>
/// <param name="Shape">The call's shape.</param>
/// <param name="MergeBatch">Whether a bias gradient is broadcast over the batch (its sequences share entries).</param>
/// <param name="MergeHeads">Whether a bias gradient is broadcast over the heads (a sequence's heads share entries).</param>
/// <param name="BiasPartials">With <paramref name="MergeBatch"/>, the parts the batch is cut into (1 otherwise).</param>
internal readonly record struct BackwardUnits(AttentionShape Shape, bool MergeBatch, bool MergeHeads, int BiasPartials)
{
    /// <summary>
    /// The most parts a batch that shares a bias gradient is cut into: enough units for every core at the vision
    /// shapes (a few heads, a large batch). Fixed by the shape, not the core count, so the sums are the same bits on
    /// every machine.
    /// </summary>
    public const int MaxBatchPartials = 32;

    /// <summary>The most memory the extra bias gradients of the parts may take.</summary>
    public const long MaxPartialBytes = 16L << 20;

    /// <summary>The units of a call whose bias gradient (empty when not asked for) has shape <paramref name="bias"/>.</summary>
    public static BackwardUnits For(AttentionShape shape, AttentionBiasShape bias, bool biasGradient, int elementSize)
    {
        bool mergeBatch = biasGradient && bias.Batch == 1, mergeHeads = biasGradient && bias.Heads == 1;
        long biasBytes = Math.Max(1, bias.Length * elementSize);
        int partials = mergeBatch ? (int)Math.Max(1, Math.Min(Math.Min(shape.Batch, MaxBatchPartials), 1 + MaxPartialBytes / biasBytes)) : 1;
        return new BackwardUnits(shape, mergeBatch, mergeHeads, partials);
    }

    private int BatchUnits => MergeBatch ? BiasPartials : Shape.Batch;

    private int HeadUnits => MergeHeads ? 1 : Shape.KeyValueHeads;

    /// <summary>The number of units.</summary>
    public int Count => Shape.Batch == 0 ? 0 : BatchUnits * HeadUnits;

    /// <summary>The most query heads in one unit.</summary>
    public int HeadsPerUnit => (MergeBatch ? (Shape.Batch + BiasPartials - 1) / BiasPartials : 1) * (MergeHeads ? Shape.Heads : Shape.GroupSize);

    /// <summary>Which of the <see cref="BiasPartials"/> bias gradients unit <paramref name="unit"/> adds into.</summary>
    public int BiasPartial(int unit) => MergeBatch ? unit / HeadUnits : 0;

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

    /// <summary>The sequences [first, end) of a unit: one, or a fixed part of the batch.</summary>
    private (int FirstBatch, int EndBatch, int HeadUnit) Batches(int unit)
    {
        int batchUnit = unit / HeadUnits, headUnit = unit % HeadUnits;
        if (!MergeBatch)
        {
            return (batchUnit, batchUnit + 1, headUnit);
        }

        int parts = BiasPartials;
        return ((int)((long)Shape.Batch * batchUnit / parts), (int)((long)Shape.Batch * (batchUnit + 1) / parts), headUnit);
    }
}
