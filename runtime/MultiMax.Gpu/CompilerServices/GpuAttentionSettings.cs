using System.ComponentModel;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// What a fused-attention kernel (<see cref="GpuAttentionKernels"/>) is told about its call, passed by value: the shape,
/// the masks and the tile size chosen for its pass on this accelerator (<see cref="GpuAttentionRunner.Plan{T}"/>), and
/// which keys each query sees.
/// </summary>
/// <remarks>
/// Integers rather than booleans for the flags: the struct crosses into kernels on every ILGPU backend as plain data.
/// Tiles are square: <see cref="Block"/> queries by <see cref="Block"/> keys. Query i sits at key a(i) = i +
/// <see cref="AlignmentOffset"/>; a causal mask keeps keys j ≤ a(i), a window a(i) − <see cref="WindowLeft"/> ≤ j ≤
/// a(i) + <see cref="WindowRight"/>.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct GpuAttentionSettings
{
    /// <summary>The settings of one call, with the tile size of one pass.</summary>
    public GpuAttentionSettings(
        AttentionShape shape, double scale, bool causal, bool padded, int block,
        CausalAlignment alignment = CausalAlignment.TopLeft, (int Left, int Right)? window = null, AttentionBiasShape? bias = null)
    {
        Batch = shape.Batch;
        Heads = shape.Heads;
        KeyValueHeads = shape.KeyValueHeads;
        Queries = shape.Queries;
        Keys = shape.Keys;
        HeadSize = shape.HeadSize;
        Scale = scale;
        Causal = causal ? 1 : 0;
        Padded = padded ? 1 : 0;
        Block = block;
        AlignmentOffset = alignment == CausalAlignment.BottomRight ? shape.Keys - shape.Queries : 0;
        Windowed = window is null ? 0 : 1;
        WindowLeft = window?.Left ?? 0;
        WindowRight = window?.Right ?? 0;
        HasBias = bias is null ? 0 : 1;
        BiasShape = bias ?? default;
        (BiasBatchStride, BiasHeadStride, BiasQueryStride, BiasKeyStride) = BiasShape.Strides;
    }

    /// <summary>Sequences.</summary>
    public readonly int Batch;

    /// <summary>Query heads per sequence: head h of the launch reads row h / Heads of the key padding mask.</summary>
    public readonly int Heads;

    /// <summary>Key/value heads per sequence, which divide <see cref="Heads"/> (grouped-query attention when fewer).</summary>
    public readonly int KeyValueHeads;

    /// <summary>Queries per head.</summary>
    public readonly int Queries;

    /// <summary>Keys (and values) per head.</summary>
    public readonly int Keys;

    /// <summary>The length of each query, key and value vector.</summary>
    public readonly int HeadSize;

    /// <summary>The score scale, resolved (1/√headSize when the caller gave none).</summary>
    public readonly double Scale;

    /// <summary>1 when query i sees only keys j ≤ a(i).</summary>
    public readonly int Causal;

    /// <summary>1 when a key padding mask is given.</summary>
    public readonly int Padded;

    /// <summary>Queries and keys per tile.</summary>
    public readonly int Block;

    /// <summary>a(i) − i: 0 top left, keys − queries bottom right (may be negative).</summary>
    public readonly int AlignmentOffset;

    /// <summary>1 when a sliding window applies.</summary>
    public readonly int Windowed;

    /// <summary>Keys before a(i) the window keeps.</summary>
    public readonly int WindowLeft;

    /// <summary>Keys after a(i) the window keeps.</summary>
    public readonly int WindowRight;

    /// <summary>1 when a bias is added to the scores.</summary>
    public readonly int HasBias;

    /// <summary>The bias's extents (1 where it broadcasts).</summary>
    public readonly AttentionBiasShape BiasShape;

    /// <summary>The bias's stride along the batch, 0 where it broadcasts.</summary>
    public readonly long BiasBatchStride;

    /// <summary>The bias's stride along the heads, 0 where it broadcasts.</summary>
    public readonly long BiasHeadStride;

    /// <summary>The bias's stride along the queries, 0 where it broadcasts.</summary>
    public readonly long BiasQueryStride;

    /// <summary>The bias's stride along the keys (1, or 0 where it broadcasts).</summary>
    public readonly long BiasKeyStride;

    /// <summary>Where the bias entry of query head <paramref name="head"/> (over the batch), query <paramref name="query"/> and key <paramref name="key"/> is.</summary>
    public long BiasIndex(int head, int query, int key) =>
        head / Heads * BiasBatchStride + head % Heads * BiasHeadStride + query * BiasQueryStride + key * BiasKeyStride;

    /// <summary>Blocks of the bias's queries (1 where it broadcasts them), tiled like the scores.</summary>
    public int BiasQueryBlocks => (int)(((long)BiasShape.Queries + Block - 1) / Block);

    /// <summary>Blocks of the bias's keys (1 where it broadcasts them).</summary>
    public int BiasKeyBlocks => (int)(((long)BiasShape.Keys + Block - 1) / Block);

    /// <summary>The groups of the bias-gradient kernel: one per block of the bias's entries.</summary>
    public long BiasGradientGroups => (long)BiasShape.Batch * BiasShape.Heads * BiasQueryBlocks * BiasKeyBlocks;

    /// <summary>Blocks of queries per head: the groups of a pass that walks query blocks.</summary>
    public int QueryBlocks => (int)(((long)Queries + Block - 1) / Block);

    /// <summary>Blocks of keys per key/value head, at least 1: the key pass also writes its parameter sums when it has no key.</summary>
    public int KeyBlocks => Keys == 0 ? 1 : (int)(((long)Keys + Block - 1) / Block);

    /// <summary>Independent attention problems: Batch × Heads.</summary>
    public long HeadCount => (long)Batch * Heads;

    /// <summary>Key/value heads over the batch: Batch × KeyValueHeads.</summary>
    public long KeyHeadCount => (long)Batch * KeyValueHeads;

    /// <summary>The query heads that share one key/value head.</summary>
    public int GroupSize => KeyValueHeads == 0 ? 1 : Heads / KeyValueHeads;

    /// <summary>The key/value head (over the batch) that query head <paramref name="head"/> (over the batch) reads.</summary>
    public int KeyHead(int head) => head / Heads * KeyValueHeads + head % Heads / GroupSize;

    /// <summary>Whether key <paramref name="key"/> is within the causal mask and the window of query <paramref name="query"/> (padding aside).</summary>
    public bool InBand(int query, int key)
    {
        long aligned = (long)query + AlignmentOffset;
        return (Causal == 0 || key <= aligned) && (Windowed == 0 || (key >= aligned - WindowLeft && key <= aligned + WindowRight));
    }

    /// <summary>The first key any of the queries from <paramref name="firstQuery"/> on may see (the window's left edge of the first).</summary>
    public int FirstKey(int firstQuery)
    {
        long start = Windowed == 0 ? 0 : (long)firstQuery + AlignmentOffset - WindowLeft;
        return (int)(start < 0 ? 0 : start > Keys ? Keys : start);
    }

    /// <summary>One past the last key query <paramref name="lastQuery"/> (and so any before it) may see.</summary>
    public int EndKey(int lastQuery)
    {
        long aligned = (long)lastQuery + AlignmentOffset, end = Keys;
        if (Causal != 0 && aligned + 1 < end)
        {
            end = aligned + 1;
        }

        if (Windowed != 0 && aligned + WindowRight + 1 < end)
        {
            end = aligned + WindowRight + 1;
        }

        return (int)(end < 0 ? 0 : end);
    }

    /// <summary>The first query that may see key <paramref name="firstKey"/> or a later one: a(i) ≥ j under a causal mask, a(i) ≥ j − Right in a window.</summary>
    public int FirstQuery(int firstKey)
    {
        long aligned = Causal != 0 ? firstKey : Windowed != 0 ? (long)firstKey - WindowRight : 0;
        long first = Causal == 0 && Windowed == 0 ? 0 : aligned - AlignmentOffset;
        return (int)(first < 0 ? 0 : first > Queries ? Queries : first);
    }

    /// <summary>One past the last query that may see key <paramref name="lastKey"/> or an earlier one: a(i) ≤ j + Left in a window.</summary>
    public int EndQuery(int lastKey)
    {
        long end = Windowed == 0 ? Queries : (long)lastKey + WindowLeft - AlignmentOffset + 1;
        return (int)(end < 0 ? 0 : end > Queries ? Queries : end);
    }

    /// <summary>The same settings with another tile size.</summary>
    internal GpuAttentionSettings WithBlock(int block) => new(this, block);

    private GpuAttentionSettings(GpuAttentionSettings settings, int block)
    {
        this = settings;
        Block = block;
    }
}
