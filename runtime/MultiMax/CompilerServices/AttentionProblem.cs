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
    /// Up to this many queries per head, the forward takes its scores straight from the key rows (a decode step, or a
    /// few queries against a long cache): each key is read once, and the keys are never turned.
    /// </summary>
    public const int DirectScoreQueries = 8;

    public AttentionShape Shape { get; init; }

    public T Scale { get; init; }

    public bool Causal { get; init; }

    /// <summary>Whether a learnable parameter σ reads is NaN (every query with a visible key is then NaN).</summary>
    public bool Poisoned { get; init; }

    public T* Query { get; init; }

    public T* Key { get; init; }

    public T* Value { get; init; }

    public T* Output { get; init; }

    public T* LogSumExp { get; init; }

    /// <summary>[batch, keys], true = padding; null without a mask.</summary>
    public bool* KeyPadding { get; init; }

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

    public ReadOnlySpan<T> ParameterSpan => new(Parameters, ParameterCount);

    /// <summary>The width of a score tile's rows: the key block rounded up to whole vectors.</summary>
    public static int TileStride => (KeyBlock + Vector<T>.Count - 1) / Vector<T>.Count * Vector<T>.Count;

    public int QueryBlocks => (Shape.Queries + QueryBlock - 1) / QueryBlock;

    public int KeyBlocks => KeyBlocksOf(Shape);

    /// <summary>The length of <see cref="KeysTransposed"/> for a call of shape <paramref name="shape"/>, in elements.</summary>
    public static long KeysTransposedLength(AttentionShape shape) => shape.HeadCount * KeyBlocksOf(shape) * shape.HeadSize * TileStride;

    /// <summary>The turned block of keys that starts at key <paramref name="firstKey"/> of head <paramref name="head"/>.</summary>
    public T* KeyTile(int head, int firstKey) =>
        KeysTransposed + ((long)head * KeyBlocks + firstKey / KeyBlock) * Shape.HeadSize * TileStride;

    private static int KeyBlocksOf(AttentionShape shape) => (shape.Keys + KeyBlock - 1) / KeyBlock;

    /// <summary>The offset of head <paramref name="head"/>'s first query row (or output row) in elements.</summary>
    public long QueryOffset(int head) => (long)head * Shape.Queries * Shape.HeadSize;

    /// <summary>The offset of head <paramref name="head"/>'s first key row (or value row) in elements.</summary>
    public long KeyOffset(int head) => (long)head * Shape.Keys * Shape.HeadSize;

    /// <summary>The padding flags of the keys of head <paramref name="head"/>'s sequence, or null.</summary>
    public bool* PaddingOf(int head) => KeyPadding is null ? null : KeyPadding + (long)(head / Shape.Heads) * Shape.Keys;

    /// <summary>
    /// The keys a block of queries can see at all: with a causal mask (query i sees keys j ≤ i, aligned at the top
    /// left as PyTorch's <c>is_causal</c>) none past its last query.
    /// </summary>
    public int VisibleKeys(int firstQuery, int queryCount) =>
        Causal ? Math.Min(Shape.Keys, firstQuery + queryCount) : Shape.Keys;
}
