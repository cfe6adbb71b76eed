using System;
using System.Numerics;

namespace MultiMax.CompilerServices;

/// <summary>
/// The working memory of one worker thread: a few tiles, independent of the sequence length except for the
/// backward's per-query <c>D</c>. This, the forward's turned keys (the keys, each head's padded to whole key blocks,
/// freed when the call ends) and the outputs are all a fused attention call allocates.
/// </summary>
internal sealed unsafe class AttentionScratch<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public AttentionScratch(in AttentionProblem<T> problem, bool backward)
    {
        int headSize = problem.Shape.HeadSize, queries = problem.Shape.Queries;
        int stride = AttentionProblem<T>.TileStride, tile = AttentionProblem<T>.QueryBlock * stride;
        Scores = new T[tile];
        Weights = new T[tile];
        RowMaximum = new T[AttentionProblem<T>.QueryBlock];
        TileRowMaximum = new T[AttentionProblem<T>.QueryBlock];
        RowSum = new double[AttentionProblem<T>.QueryBlock];
        RowLogSum = new double[AttentionProblem<T>.QueryBlock];
        PaddedColumns = new int[AttentionProblem<T>.KeyBlock];
        if (problem.KeyPadding is not null)
        {
            UnpaddedRows = new T[AttentionProblem<T>.KeyBlock * headSize];
        }

        if (backward)
        {
            KeysTransposed = new T[headSize * stride];
            ValuesTransposed = new T[headSize * stride];
            WeightGradients = new T[tile];
            Shared = new T[queries];
        }
    }

    /// <summary>
    /// The backward's block of keys turned to [headSize × tile stride], so that keys run along SIMD lanes (the
    /// forward reads every head's keys turned once per call: <see cref="AttentionProblem{T}.KeysTransposed"/>).
    /// </summary>
    public T[]? KeysTransposed { get; }

    /// <summary>The backward's block of values, turned likewise.</summary>
    public T[]? ValuesTransposed { get; }

    /// <summary>The scores s of a tile, [query block × tile stride].</summary>
    public T[] Scores { get; }

    /// <summary>σ(s), then the weights P of a tile.</summary>
    public T[] Weights { get; }

    /// <summary>The backward's dP, then gσ, then ds of a tile.</summary>
    public T[]? WeightGradients { get; }

    /// <summary>The forward's running maximum of σ per query of the block.</summary>
    public T[] RowMaximum { get; }

    /// <summary>The forward's largest σ per query of the current tile.</summary>
    public T[] TileRowMaximum { get; }

    /// <summary>The forward's running Σ exp(σ − max) per query, in double.</summary>
    public double[] RowSum { get; }

    /// <summary>The forward's log of <see cref="RowSum"/> per query, at the end of the block.</summary>
    public double[] RowLogSum { get; }

    /// <summary>The columns of the current tile whose key is padding.</summary>
    public int[] PaddedColumns { get; }

    /// <summary>
    /// With a key padding mask: a block's key or value rows with the padding rows zeroed, read in place of the rows
    /// themselves by the products that would otherwise multiply a padding row by its weight 0 (a NaN there would
    /// give NaN): a padding key is never read.
    /// </summary>
    public T[]? UnpaddedRows { get; }

    /// <summary>The backward's D = rowsum(dO ∘ O) per query of the head.</summary>
    public T[]? Shared { get; }
}
