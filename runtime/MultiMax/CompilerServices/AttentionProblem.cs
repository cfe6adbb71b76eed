using System;
using System.Numerics;

namespace MultiMax.CompilerServices;

/// <summary>
/// One validated fused attention call as the tile loops see it: pinned addresses of every span, the shape, and the
/// settings. Addresses cross into worker threads as fields of this struct; <see cref="AttentionRunner"/> keeps every
/// span pinned until the workers are done.
/// </summary>
internal readonly unsafe struct AttentionProblem<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Queries per tile: a [64 × 64] tile of float scores is 16 KiB, and a tile's operands stay in L2.</summary>
    public const int QueryBlock = 64;

    /// <summary>Keys per tile.</summary>
    public const int KeyBlock = 64;

    /// <summary>
    /// Up to this many queries per head, the forward takes its scores, and the backward its scores and dP = dO·Vᵀ,
    /// straight from the key and value rows (a decode step, or a few queries against a long cache): each key is read
    /// once, and the keys are never turned.
    /// </summary>
    public const int DirectScoreQueries = 8;

    /// <summary>Whether a call of shape <paramref name="shape"/> takes its scores from the rows (<see cref="DirectScoreQueries"/>).</summary>
    public static bool ScoresFromRows(AttentionShape shape) => shape.Queries <= DirectScoreQueries;

    public AttentionShape Shape { get; init; }

    public T Scale { get; init; }

    public bool Causal { get; init; }

    /// <summary>Where query i sits among the keys: a(i) = i + AlignmentOffset (0 top left, keys − queries bottom right).</summary>
    public long AlignmentOffset { get; init; }

    /// <summary>Whether a sliding window <see cref="WindowLeft"/>, <see cref="WindowRight"/> applies.</summary>
    public bool Windowed { get; init; }

    public long WindowLeft { get; init; }

    public long WindowRight { get; init; }

    /// <summary>Whether a learnable parameter σ reads is NaN (every query with a visible key is then NaN).</summary>
    public bool Poisoned { get; init; }

    public T* Query { get; init; }

    public T* Key { get; init; }

    public T* Value { get; init; }

    public T* Output { get; init; }

    public T* LogSumExp { get; init; }

    /// <summary>[batch, keys], true = padding; null without a mask.</summary>
    public bool* KeyPadding { get; init; }

    /// <summary>The additive bias, read at <see cref="BiasRow"/> with <see cref="BiasKeyStride"/>; null without one.</summary>
    public T* Bias { get; init; }

    /// <summary>The bias's strides over [batch, heads, queries, keys] in elements, 0 along a broadcast extent.</summary>
    public long BiasBatchStride { get; init; }

    public long BiasHeadStride { get; init; }

    public long BiasQueryStride { get; init; }

    public long BiasKeyStride { get; init; }

    /// <summary>The bias entries of one (batch, head) slice: its queries' extent times its keys'.</summary>
    public long BiasSliceLength { get; init; }

    /// <summary>One logit per query head that joins every denominator on σ's scale; null without sinks.</summary>
    public T* Sinks { get; init; }

    public T* Parameters { get; init; }

    public int ParameterCount { get; init; }

    /// <summary>
    /// Forward only: every head's keys turned once per call, block by block, each block [headSize × tile stride] with
    /// zeros past the last key, so that keys run along SIMD lanes in the score products (<see cref="KeyTile"/>); null
    /// with at most <see cref="DirectScoreQueries"/> queries per head, whose scores come from the key rows.
    /// </summary>
    public T* KeysTransposed { get; init; }

    // Backward only.
    public T* OutputGradient { get; init; }

    public T* QueryGradient { get; init; }

    public T* KeyGradient { get; init; }

    public T* ValueGradient { get; init; }

    /// <summary>The bias gradient, in the bias's own (broadcast) shape; null when not asked for.</summary>
    public T* BiasGradient { get; init; }

    /// <summary>
    /// With a bias gradient shared by the batch cut into parts (<see cref="BackwardUnits"/>): the gradients of parts 1,
    /// 2, … one after another, each <see cref="BiasLength"/> long (part 0 adds into <see cref="BiasGradient"/>).
    /// </summary>
    public T* BiasGradientPartials { get; init; }

    /// <summary>
    /// Whether every bias gradient entry gets exactly one tile's ds (one entry per score of the head it serves, every
    /// tile visited): the tiles then write it rather than add to a cleared one.
    /// </summary>
    public bool OverwriteBiasGradient { get; init; }

    /// <summary>The bias's entries.</summary>
    public long BiasLength { get; init; }

    public ReadOnlySpan<T> ParameterSpan => new(Parameters, ParameterCount);

    /// <summary>The widest score tile's rows: the key block rounded up to whole vectors.</summary>
    public static int TileStride => TileWidth(KeyBlock);

    /// <summary>
    /// The row width of a tile of <paramref name="keys"/> keys: whole vectors, no wider. A tile's rows lie one after
    /// another at this width, so a head of 50 keys works on 56 columns (float, 8 lanes), not 64, and the 5 keys that
    /// 197 leave after three blocks on 8, not 64.
    /// </summary>
    public static int TileWidth(int keys) => (keys + Vector<T>.Count - 1) / Vector<T>.Count * Vector<T>.Count;

    public int QueryBlocks => (Shape.Queries + QueryBlock - 1) / QueryBlock;

    public int KeyBlocks => KeyBlocksOf(Shape);

    /// <summary>The length of <see cref="KeysTransposed"/> for a call of shape <paramref name="shape"/>, in elements.</summary>
    public static long KeysTransposedLength(AttentionShape shape) => shape.KeyHeadCount * KeyBlocksOf(shape) * shape.HeadSize * TileStride;

    /// <summary>The turned block of keys that starts at key <paramref name="firstKey"/> of key/value head <paramref name="keyHead"/>.</summary>
    public T* KeyTile(int keyHead, int firstKey) =>
        KeysTransposed + ((long)keyHead * KeyBlocks + firstKey / KeyBlock) * Shape.HeadSize * TileStride;

    /// <summary>The key/value head that query head <paramref name="head"/> (over the batch) reads.</summary>
    public int KeyHead(int head) =>
        Shape.GroupSize == 1 ? head : head / Shape.Heads * Shape.KeyValueHeads + head % Shape.Heads / Shape.GroupSize;

    private static int KeyBlocksOf(AttentionShape shape) => (shape.Keys + KeyBlock - 1) / KeyBlock;

    /// <summary>The offset of head <paramref name="head"/>'s first query row (or output row) in elements.</summary>
    public long QueryOffset(int head) => (long)head * Shape.Queries * Shape.HeadSize;

    /// <summary>The offset of key/value head <paramref name="keyHead"/>'s first key row (or value row) in elements.</summary>
    public long KeyOffset(int keyHead) => (long)keyHead * Shape.Keys * Shape.HeadSize;

    /// <summary>The bias entry of query <paramref name="query"/> and key 0 of head <paramref name="head"/>; null without a bias.</summary>
    public T* BiasRow(int head, int query) => Bias is null ? null : Bias + BiasOffset(head, query);

    /// <summary>Likewise in <see cref="BiasGradient"/>.</summary>
    public T* BiasGradientRow(int head, int query) => BiasGradient + BiasOffset(head, query);

    /// <summary>The sink of head <paramref name="head"/> (over the batch): −∞, which adds nothing, without sinks.</summary>
    public T SinkOf(int head) => Sinks is null ? T.NegativeInfinity : Sinks[head % Shape.Heads];

    /// <summary>Where query <paramref name="query"/> of head <paramref name="head"/> starts in the bias and its gradient, in elements.</summary>
    private long BiasOffset(int head, int query) =>
        head / Shape.Heads * BiasBatchStride + head % Shape.Heads * BiasHeadStride + query * BiasQueryStride;

    /// <summary>The padding flags of the keys of head <paramref name="head"/>'s sequence, or null.</summary>
    public bool* PaddingOf(int head) => PaddingOfSequence(head / Shape.Heads);

    /// <summary>The padding flags of the keys of sequence <paramref name="batch"/>, or null.</summary>
    public bool* PaddingOfSequence(int batch) => KeyPadding is null ? null : KeyPadding + (long)batch * Shape.Keys;

    /// <summary>
    /// One past the last key that is not padding in a sequence whose padding flags are <paramref name="padding"/>
    /// (<see cref="PaddingOf"/>; every key when null): the padding after it, a padded batch's usual tail, is never
    /// visited at all, so its tiles cost nothing and the tile that holds the last real key is only as wide as the real
    /// keys in it.
    /// </summary>
    public int KeysBeforePadding(bool* padding)
    {
        int end = Shape.Keys;
        while (padding is not null && end > 0 && padding[end - 1])
        {
            end--;
        }

        return end;
    }

    /// <summary>Whether a causal mask or a window limits which keys a query sees (padding and bias aside).</summary>
    public bool Banded => Causal || Windowed;

    /// <summary>
    /// The keys [Start, End) query <paramref name="query"/> may see (padding and bias aside): with a(i) its aligned
    /// position, a causal mask ends them after a(i) and a window keeps a(i) − Left through a(i) + Right. Empty when
    /// Start ≥ End.
    /// </summary>
    public (int Start, int End) KeyRange(int query)
    {
        if (!Banded)
        {
            return (0, Shape.Keys);
        }

        long aligned = query + AlignmentOffset, end = Shape.Keys, start = 0;
        if (Causal)
        {
            end = Math.Min(end, aligned + 1);
        }

        if (Windowed)
        {
            end = Math.Min(end, aligned + WindowRight + 1);
            start = Math.Max(start, aligned - WindowLeft);
        }

        return ((int)Math.Clamp(start, 0, Shape.Keys), (int)Math.Clamp(end, 0, Shape.Keys));
    }

    /// <summary>
    /// The keys [Start, End) block <paramref name="queryBlock"/> of queries can see at all: both ends grow with the
    /// query, so from the first query's start to the last query's end.
    /// </summary>
    public (int Start, int End) VisibleKeys(int queryBlock)
    {
        int firstQuery = queryBlock * QueryBlock, lastQuery = Math.Min(firstQuery + QueryBlock, Shape.Queries) - 1;
        return (KeyRange(firstQuery).Start, KeyRange(lastQuery).End);
    }
}
