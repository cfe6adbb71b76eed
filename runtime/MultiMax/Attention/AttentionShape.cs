using System;

namespace MultiMax;

/// <summary>
/// The shape of one fused attention call: <c>query</c> and <c>output</c> are <c>[Batch, Heads, Queries, HeadSize]</c>,
/// <c>key</c> and <c>value</c> <c>[Batch, KeyValueHeads, Keys, HeadSize]</c>, all row-major; <c>logSumExp</c> is
/// <c>[Batch, Heads, Queries]</c>, and a key padding mask <c>[Batch, Keys]</c>.
/// </summary>
/// <remarks>
/// Every extent may be 0, as in torch: a call with no batch, head or query has nothing to compute; with no key every
/// query is fully masked; with a head size of 0 every score is an empty dot product, 0.
/// </remarks>
/// <param name="Batch">The number of sequences.</param>
/// <param name="Heads">The number of heads per sequence.</param>
/// <param name="Queries">The number of queries per head.</param>
/// <param name="Keys">The number of keys and values per head.</param>
/// <param name="HeadSize">The length of each query, key and value vector, at most <see cref="MaxHeadSize"/>.</param>
public readonly record struct AttentionShape(int Batch, int Heads, int Queries, int Keys, int HeadSize)
{
    /// <summary>
    /// The largest head size the fused kernels take (65 536; models use 16 to 256): a worker's tiles of 64 rows then
    /// hold at most 4 Mi entries each. The Torch operator runs larger heads on its materialized path.
    /// </summary>
    public const int MaxHeadSize = 1 << 16;

    /// <summary>
    /// The most queries, and the most keys, per head the fused kernels take (2³⁰): their block loops stay within
    /// <see cref="int"/>. The Torch operator runs longer ones on its materialized path.
    /// </summary>
    public const int MaxSequenceLength = 1 << 30;

    private readonly int? keyValueHeads;

    /// <summary>
    /// The number of key/value heads per sequence, which must divide <see cref="Heads"/>: query head h reads key/value
    /// head h / (Heads / KeyValueHeads), as PyTorch's <c>enable_gqa</c> and <c>repeat_interleave</c> (grouped-query
    /// attention; 1 is multi-query attention). <see cref="Heads"/> unless set.
    /// </summary>
    public int KeyValueHeads
    {
        get => keyValueHeads ?? Heads;
        init => keyValueHeads = value;
    }

    /// <summary>The query heads that share one key/value head: <see cref="Heads"/> / <see cref="KeyValueHeads"/>.</summary>
    public int GroupSize => KeyValueHeads == 0 ? 1 : Heads / KeyValueHeads;

    /// <summary>The number of (batch, head) pairs, each an independent attention problem.</summary>
    public long HeadCount => (long)Batch * Heads;

    /// <summary>The number of (batch, key/value head) pairs.</summary>
    public long KeyHeadCount => (long)Batch * KeyValueHeads;

    /// <summary>Entries of <c>query</c>, <c>output</c> and their gradients.</summary>
    public long QueryLength => HeadCount * Queries * HeadSize;

    /// <summary>Entries of <c>key</c>, <c>value</c> and their gradients.</summary>
    public long KeyLength => KeyHeadCount * Keys * HeadSize;

    /// <summary>Entries of <c>logSumExp</c>: one per query of every head.</summary>
    public long LogSumExpLength => HeadCount * Queries;

    /// <summary>Entries of a key padding mask: one per key of every sequence.</summary>
    public long MaskLength => (long)Batch * Keys;

    /// <summary>The score scale when none is given: 1/√<see cref="HeadSize"/> (1 with no head size: every score is 0 then).</summary>
    public double DefaultScale => HeadSize == 0 ? 1 : 1 / Math.Sqrt(HeadSize);
}
