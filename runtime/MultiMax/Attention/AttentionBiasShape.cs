namespace MultiMax;

/// <summary>
/// The extents of an additive attention bias, each either 1 (broadcast) or the call's own: <see cref="Batch"/> 1 or
/// the batch, <see cref="Heads"/> 1 or the query heads, <see cref="Queries"/> 1 or the queries, <see cref="Keys"/> 1
/// or the keys. The bias is row-major in this shape and is never expanded: a learned relative-position bias shared by
/// the batch is <c>(1, heads, queries, keys)</c>, a per-key soft mask <c>(batch, 1, 1, keys)</c>.
/// </summary>
/// <param name="Batch">1, or the number of sequences.</param>
/// <param name="Heads">1, or the number of query heads.</param>
/// <param name="Queries">1, or the number of queries.</param>
/// <param name="Keys">1, or the number of keys.</param>
public readonly record struct AttentionBiasShape(int Batch, int Heads, int Queries, int Keys)
{
    /// <summary>The entries of a bias of this shape.</summary>
    public long Length => (long)Batch * Heads * Queries * Keys;

    /// <summary>
    /// The bias's strides over <c>[batch, heads, queries, keys]</c>, in entries: 0 along a broadcast extent, so that the
    /// bias is never expanded.
    /// </summary>
    internal (long Batch, long Heads, long Queries, long Keys) Strides => (
        Batch == 1 ? 0 : (long)Heads * Queries * Keys,
        Heads == 1 ? 0 : (long)Queries * Keys,
        Queries == 1 ? 0 : Keys,
        Keys == 1 ? 0 : 1);

    /// <summary>A bias with one entry per score of <paramref name="shape"/>: <c>[batch, heads, queries, keys]</c>.</summary>
    public static AttentionBiasShape Full(AttentionShape shape) => new(shape.Batch, shape.Heads, shape.Queries, shape.Keys);
}
