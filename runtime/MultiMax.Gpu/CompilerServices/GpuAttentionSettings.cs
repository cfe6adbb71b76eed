using System.ComponentModel;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// What a fused-attention kernel (<see cref="GpuAttentionKernels"/>) is told about its call, passed by value: the shape, the settings and the
/// tile size chosen for its pass on this accelerator (<see cref="GpuAttentionRunner.Plan{T}"/>).
/// </summary>
/// <remarks>
/// Integers rather than booleans for the flags: the struct crosses into kernels on every ILGPU backend as plain data.
/// Tiles are square: <see cref="Block"/> queries by <see cref="Block"/> keys.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct GpuAttentionSettings
{
    /// <summary>The settings of one call, with the tile size of one pass.</summary>
    public GpuAttentionSettings(AttentionShape shape, double scale, bool causal, bool padded, int block)
    {
        Batch = shape.Batch;
        Heads = shape.Heads;
        Queries = shape.Queries;
        Keys = shape.Keys;
        HeadSize = shape.HeadSize;
        Scale = scale;
        Causal = causal ? 1 : 0;
        Padded = padded ? 1 : 0;
        Block = block;
    }

    /// <summary>Sequences.</summary>
    public readonly int Batch;

    /// <summary>Heads per sequence: head h of the launch reads row h / Heads of the key padding mask.</summary>
    public readonly int Heads;

    /// <summary>Queries per head.</summary>
    public readonly int Queries;

    /// <summary>Keys (and values) per head.</summary>
    public readonly int Keys;

    /// <summary>The length of each query, key and value vector.</summary>
    public readonly int HeadSize;

    /// <summary>The score scale, resolved (1/√headSize when the caller gave none).</summary>
    public readonly double Scale;

    /// <summary>1 when query i sees only keys j ≤ i.</summary>
    public readonly int Causal;

    /// <summary>1 when a key padding mask is given.</summary>
    public readonly int Padded;

    /// <summary>Queries and keys per tile.</summary>
    public readonly int Block;

    /// <summary>Blocks of queries per head: the groups of a pass that walks query blocks.</summary>
    public int QueryBlocks => (int)(((long)Queries + Block - 1) / Block);

    /// <summary>Blocks of keys per head, at least 1: the key pass also writes each head's parameter sums when it has no key.</summary>
    public int KeyBlocks => Keys == 0 ? 1 : (int)(((long)Keys + Block - 1) / Block);

    /// <summary>Independent attention problems: Batch × Heads.</summary>
    public long HeadCount => (long)Batch * Heads;

    internal GpuAttentionSettings WithBlock(int block) =>
        new(new AttentionShape(Batch, Heads, Queries, Keys, HeadSize), Scale, Causal != 0, Padded != 0, block);
}
