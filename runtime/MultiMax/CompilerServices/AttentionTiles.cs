using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MultiMax.CompilerServices;

/// <summary>
/// The flash-style tile loops of fused attention, the same for every σ: <typeparamref name="TKernel"/> supplies σ and
/// σ′ of a tile. Nothing of size queries × keys is ever held; a tile of scores lives only while its block is worked on.
/// </summary>
/// <remarks>
/// Forward, per block of queries, streaming the blocks of keys some query of the block sees (a causal mask or window
/// hides the rest): s = scale·Q·Kᵀ + bias; σ(s) (masked scores never reach σ: they are set to −∞ after it; so is a
/// score that comes out −∞ itself, a −∞ bias entry or an overflow, as the materialized formula masks it); a padding
/// key's rows are never read (zeros stand in for them), so a NaN there reaches nothing; a running maximum m and sum l
/// of exp(σ − m) per query, the online SoftMax taken over σ(s), not over s (σ is not monotone), started at the head's
/// sink when there is one; O += P·V with earlier blocks rescaled by exp(m_old − m_new). Stored per query:
/// L = m + log l, from which the backward recomputes P = exp(σ − L) tile by tile. Query head h reads key/value head
/// h / group.
/// Every method that loops is compiled fully optimized at its first call (<c>AggressiveOptimization</c>), as the
/// generated row kernels are: through the JIT's tiers a training run's or a service's first calls would run these
/// loops unoptimized, several times slower than later ones.
/// </remarks>
internal static unsafe class AttentionTiles<TKernel, T>
    where TKernel : IModulatorKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static int Width => Vector<T>.Count;

    /// <summary>
    /// Turns every block of key/value head <paramref name="keyHead"/>'s keys into <see cref="AttentionProblem{T}.KeysTransposed"/>,
    /// once per forward call rather than once per tile: every block of queries of every query head of its group reads
    /// the same blocks of keys.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransposeKeys(in AttentionProblem<T> problem, int keyHead)
    {
        int headSize = problem.Shape.HeadSize, stride = AttentionProblem<T>.TileStride;
        T* key = problem.Key + problem.KeyOffset(keyHead);
        bool* padding = problem.PaddingOfSequence(keyHead / problem.Shape.KeyValueHeads);
        Span<int> paddedColumns = stackalloc int[AttentionProblem<T>.KeyBlock];
        int keyEnd = problem.KeysBeforePadding(padding); // no tile reads past it
        for (int firstKey = 0; firstKey < keyEnd; firstKey += AttentionProblem<T>.KeyBlock)
        {
            int keys = Math.Min(AttentionProblem<T>.KeyBlock, keyEnd - firstKey);
            ref T tile = ref *problem.KeyTile(keyHead, firstKey);
            TileMath.Transpose(ref *(key + (long)firstKey * headSize), headSize, keys, headSize, ref tile, stride, stride);
            ZeroColumns(ref tile, headSize, stride, paddedColumns[..PaddedColumns(padding, firstKey, keys, paddedColumns)]);
        }
    }

    /// <summary>The output rows and log-sum-exp of one block of queries of one head.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(in AttentionProblem<T> problem, int head, int queryBlock, AttentionScratch<T> scratch)
    {
        AttentionShape shape = problem.Shape;
        int headSize = shape.HeadSize, stride = AttentionProblem<T>.TileStride;
        int firstQuery = queryBlock * AttentionProblem<T>.QueryBlock;
        int queries = Math.Min(AttentionProblem<T>.QueryBlock, shape.Queries - firstQuery);
        T* query = problem.Query + problem.QueryOffset(head) + (long)firstQuery * headSize;
        T* output = problem.Output + problem.QueryOffset(head) + (long)firstQuery * headSize;
        int keyHead = problem.KeyHead(head);
        T* key = problem.Key + problem.KeyOffset(keyHead), value = problem.Value + problem.KeyOffset(keyHead);
        bool* padding = problem.PaddingOf(head);

        // A sink joins every denominator on σ's scale: the running maximum starts at it, and the sum at its exp(c − c) = 1.
        Span<T> maximum = scratch.RowMaximum.AsSpan(0, queries);
        Span<double> sum = scratch.RowSum.AsSpan(0, queries);
        T sink = problem.SinkOf(head);
        maximum.Fill(sink);
        sum.Fill(sink == T.NegativeInfinity ? 0 : 1);
        new Span<T>(output, queries * headSize).Clear();
        ref T weights = ref MemoryMarshal.GetArrayDataReference(scratch.Weights);

        // Only the key blocks some query of the block sees, up to the sequence's last real key: a window's cost grows with
        // the window, not the sequence, and a padded tail costs nothing.
        (int visibleStart, int visibleEnd) = problem.VisibleKeys(queryBlock);
        visibleEnd = Math.Min(visibleEnd, problem.KeysBeforePadding(padding));
        for (int firstKey = visibleStart - visibleStart % AttentionProblem<T>.KeyBlock; firstKey < visibleEnd; firstKey += AttentionProblem<T>.KeyBlock)
        {
            int keys = Math.Min(AttentionProblem<T>.KeyBlock, visibleEnd - firstKey), width = AttentionProblem<T>.TileWidth(keys);
            int padded = PaddedColumns(padding, firstKey, keys, scratch.PaddedColumns);
            if (padded == keys)
            {
                continue; // every key of the tile is padding: skipped, not computed and masked
            }

            // σ(scale·Q·Kᵀ) into the weights tile, masked entries then set to −∞. A few queries take their scores straight
            // from the key rows; more share the keys turned once per call.
            if (problem.KeysTransposed is null)
            {
                TileMath.DotsWithRows(query, key + (long)firstKey * headSize, headSize, queries, keys, width, problem.Scale, scratch.Scores);
            }
            else
            {
                TileMath.Multiply(ref *query, headSize, 1, ref *problem.KeyTile(keyHead, firstKey), stride,
                    ref MemoryMarshal.GetArrayDataReference(scratch.Scores), width, queries, headSize, width, problem.Scale, accumulate: false);
            }

            AddBias(problem, head, firstQuery, queries, firstKey, keys, width, scratch);
            MaskedSigma(problem, firstQuery, queries, firstKey, keys, width, scratch.PaddedColumns.AsSpan(0, padded), scratch, standIns: false);

            // Online SoftMax over σ: P = exp(σ − m_new); earlier blocks' output and sum are rescaled by exp(m_old − m_new).
            for (int row = 0; row < queries; row++)
            {
                ref T weightRow = ref Unsafe.Add(ref weights, row * width);
                T rowMaximum = scratch.TileRowMaximum[row];
                if (problem.Poisoned && rowMaximum != T.NegativeInfinity)
                {
                    rowMaximum = T.NaN;
                }

                T newMaximum = T.Max(maximum[row], rowMaximum);
                if (newMaximum == T.NegativeInfinity)
                {
                    MemoryMarshal.CreateSpan(ref weightRow, width).Clear(); // nothing visible yet: no weight
                    continue;
                }

                double rowSum = ExponentiateRow(ref weightRow, width, newMaximum);
                if (maximum[row] == T.NegativeInfinity)
                {
                    sum[row] = rowSum; // the row's first visible keys: nothing before them to rescale (O is still 0)
                }
                else
                {
                    T correction = T.Exp(maximum[row] - newMaximum);
                    sum[row] = sum[row] * double.CreateTruncating(correction) + rowSum;
                    if (correction != T.One)
                    {
                        Scale(output + (long)row * headSize, headSize, correction);
                    }
                }

                maximum[row] = newMaximum;
            }

            // O += P·V, with zeros for the padding keys' value rows.
            ref T values = ref UnpaddedRows(value + (long)firstKey * headSize, keys, headSize, scratch, padded);
            TileMath.Multiply(ref weights, width, 1, ref values, headSize,
                ref *output, headSize, queries, keys, headSize, T.One, accumulate: true);
        }

        // O /= l and L = m + log l; a query with no visible key gets O = 0 and L = −∞ (the sink's c with one). The logs
        // are taken a vector of rows at a time, not one scalar call per query (a small head has few keys to spread it over).
        Span<double> logSum = scratch.RowLogSum.AsSpan(0, queries);
        int first = 0;
        for (; first + Vector<double>.Count <= queries; first += Vector<double>.Count)
        {
            VectorMath.Log(new Vector<double>(sum[first..])).CopyTo(logSum[first..]);
        }

        for (; first < queries; first++)
        {
            logSum[first] = Math.Log(sum[first]);
        }

        T* logSumExp = problem.LogSumExp + (long)head * shape.Queries + firstQuery;
        for (int row = 0; row < queries; row++)
        {
            if (maximum[row] == T.NegativeInfinity)
            {
                logSumExp[row] = T.NegativeInfinity;
                continue;
            }

            Scale(output + (long)row * headSize, headSize, T.CreateTruncating(1 / sum[row]));
            logSumExp[row] = maximum[row] + T.CreateTruncating(logSum[row]);
        }
    }

    /// <summary>
    /// The gradients of one query head: its dQ, and its share of its key/value head's dK and dV (per block of keys, over
    /// every block of queries that sees it), added to what the group's earlier heads left there; with a bias gradient,
    /// its ds added to the bias's entries; the head's parameter gradients added to <paramref name="parameterGradients"/>
    /// tile by tile, in a fixed order. Returns the head's sink gradient −Σ_i P_sink,i·D_i (0 without sinks).
    /// </summary>
    /// <remarks>The caller clears dK, dV and the bias gradient once, then runs every head that shares them on one thread, in order.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Backward(in AttentionProblem<T> problem, int head, AttentionScratch<T> scratch, Span<double> parameterGradients)
    {
        AttentionShape shape = problem.Shape;
        int headSize = shape.HeadSize;
        long queryOffset = problem.QueryOffset(head), keyOffset = problem.KeyOffset(problem.KeyHead(head));
        T* query = problem.Query + queryOffset, output = problem.Output + queryOffset;
        T* outputGradient = problem.OutputGradient + queryOffset, queryGradient = problem.QueryGradient + queryOffset;
        T* key = problem.Key + keyOffset, value = problem.Value + keyOffset;
        T* keyGradient = problem.KeyGradient + keyOffset, valueGradient = problem.ValueGradient + keyOffset;
        T* logSumExp = problem.LogSumExp + (long)head * shape.Queries;
        bool* padding = problem.PaddingOf(head);

        new Span<T>(queryGradient, shape.Queries * headSize).Clear();

        // D = rowsum(dO ∘ O), in double; with a sink, its gradient −Σ_i P_sink,i·D_i, P_sink,i = exp(c − L_i).
        T[] shared = scratch.Shared!;
        double sinkGradient = 0;
        T sink = problem.SinkOf(head);
        // A NaN sink makes every L of the head NaN, as a NaN parameter does: masked pairs must still get P = 0.
        bool poisoned = problem.Poisoned || T.IsNaN(sink);
        for (int row = 0; row < shape.Queries; row++)
        {
            double rowShared = Dot(outputGradient + (long)row * headSize, output + (long)row * headSize, headSize);
            shared[row] = T.CreateTruncating(rowShared);
            if (problem.Sinks is not null && logSumExp[row] != T.NegativeInfinity)
            {
                sinkGradient -= double.CreateTruncating(T.Exp(sink - logSumExp[row])) * rowShared;
            }
        }

        ref T scores = ref MemoryMarshal.GetArrayDataReference(scratch.Scores);
        ref T weights = ref MemoryMarshal.GetArrayDataReference(scratch.Weights);
        ref T weightGradients = ref MemoryMarshal.GetArrayDataReference(scratch.WeightGradients!);
        ref T keysTransposed = ref MemoryMarshal.GetArrayDataReference(scratch.KeysTransposed!);
        ref T valuesTransposed = ref MemoryMarshal.GetArrayDataReference(scratch.ValuesTransposed!);
        // A few queries (a decode step's) take s and dP straight from the key and value rows, as the forward takes s:
        // turning every block of a long cache would cost more than the products of one query with it.
        bool fromRows = AttentionProblem<T>.ScoresFromRows(shape);
        int searchFrom = 0, keyEnd = problem.KeysBeforePadding(padding);
        for (int firstKey = 0; firstKey < keyEnd; firstKey += AttentionProblem<T>.KeyBlock)
        {
            int keys = Math.Min(AttentionProblem<T>.KeyBlock, keyEnd - firstKey), width = AttentionProblem<T>.TileWidth(keys);
            (int firstQueryBlock, int endQueryBlock) = QueryBlocksSeeing(problem, firstKey, keys, ref searchFrom);
            if (firstQueryBlock == endQueryBlock)
            {
                continue; // outside every query's causal mask or window
            }

            int padded = PaddedColumns(padding, firstKey, keys, scratch.PaddedColumns);
            if (padded == keys)
            {
                continue;
            }

            T* keyBlock = key + (long)firstKey * headSize, valueBlock = value + (long)firstKey * headSize;
            ReadOnlySpan<int> paddedColumns = scratch.PaddedColumns.AsSpan(0, padded);
            if (!fromRows)
            {
                TileMath.Transpose(ref *keyBlock, headSize, keys, headSize, ref keysTransposed, width, width);
                TileMath.Transpose(ref *valueBlock, headSize, keys, headSize, ref valuesTransposed, width, width);
                ZeroColumns(ref keysTransposed, headSize, width, paddedColumns);
                ZeroColumns(ref valuesTransposed, headSize, width, paddedColumns);
            }

            ref T unpaddedKeys = ref UnpaddedRows(keyBlock, keys, headSize, scratch, padded);

            for (int queryBlock = firstQueryBlock; queryBlock < endQueryBlock; queryBlock++)
            {
                int firstQuery = queryBlock * AttentionProblem<T>.QueryBlock;
                int queries = Math.Min(AttentionProblem<T>.QueryBlock, shape.Queries - firstQuery);
                T* queryBlockRows = query + (long)firstQuery * headSize, outputGradientBlock = outputGradient + (long)firstQuery * headSize;

                // s (masked: the finite stand-in 0, which σ′ may read safely) and σ(s) (masked: −∞).
                if (fromRows)
                {
                    TileMath.DotsWithRows(queryBlockRows, keyBlock, headSize, queries, keys, width, problem.Scale, scratch.Scores);
                }
                else
                {
                    TileMath.Multiply(ref *queryBlockRows, headSize, 1, ref keysTransposed, width, ref scores, width, queries, headSize, width, problem.Scale, accumulate: false);
                }

                AddBias(problem, head, firstQuery, queries, firstKey, keys, width, scratch);
                MaskedSigma(problem, firstQuery, queries, firstKey, keys, width, paddedColumns, scratch, standIns: true);

                // P = exp(σ − L); a query with no visible key (L = −∞) has P = 0.
                for (int row = 0; row < queries; row++)
                {
                    ref T weightRow = ref Unsafe.Add(ref weights, row * width);
                    T rowLogSumExp = logSumExp[firstQuery + row];
                    if (rowLogSumExp == T.NegativeInfinity)
                    {
                        MemoryMarshal.CreateSpan(ref weightRow, width).Clear();
                    }
                    else if (poisoned)
                    {
                        // A NaN parameter makes L NaN, and exp(−∞ − L) NaN at the masked entries too: a masked pair still
                        // adds nothing (as autograd of the formula gives, the mask applied after σ), so P is 0 there.
                        foreach (ref T entry in MemoryMarshal.CreateSpan(ref weightRow, width))
                        {
                            entry = entry == T.NegativeInfinity ? T.Zero : T.Exp(entry - rowLogSumExp);
                        }
                    }
                    else
                    {
                        ExponentiateRow(ref weightRow, width, rowLogSumExp);
                    }
                }

                // dV += Pᵀ·dO.
                TileMath.Multiply(ref weights, 1, width, ref *outputGradientBlock, headSize,
                    ref *(valueGradient + (long)firstKey * headSize), headSize, keys, queries, headSize, T.One, accumulate: true);

                // dP = dO·Vᵀ, then gσ = P ∘ (dP − D) in place.
                if (fromRows)
                {
                    // A padding key's value row is never read into a gradient: its dP column is 0 (P is 0 there too).
                    TileMath.DotsWithRows(outputGradientBlock, valueBlock, headSize, queries, keys, width, T.One, scratch.WeightGradients!);
                    ZeroColumns(ref weightGradients, queries, width, paddedColumns);
                }
                else
                {
                    TileMath.Multiply(ref *outputGradientBlock, headSize, 1, ref valuesTransposed, width,
                        ref weightGradients, width, queries, headSize, width, T.One, accumulate: false);
                }

                for (int row = 0; row < queries; row++)
                {
                    WeightGradientRow(ref Unsafe.Add(ref weights, row * width), ref Unsafe.Add(ref weightGradients, row * width), width, shared[firstQuery + row]);
                }

                // ds = σ′(s)·gσ, and Σ gσ·∂σ/∂θ into this head's sums (tile by tile, always in this order).
                TKernel.Derivative(
                    MemoryMarshal.CreateReadOnlySpan(ref scores, queries * width),
                    MemoryMarshal.CreateSpan(ref weightGradients, queries * width),
                    problem.ParameterSpan, parameterGradients);

                // Likewise ds: σ′ of the masked entries' stand-in is NaN under a NaN parameter, and 0·NaN is NaN. P is NaN
                // everywhere else then (L is NaN), so P = 0 marks exactly the masked entries.
                if (poisoned)
                {
                    for (int entry = 0; entry < queries * width; entry++)
                    {
                        if (Unsafe.Add(ref weights, entry) == T.Zero)
                        {
                            Unsafe.Add(ref weightGradients, entry) = T.Zero;
                        }
                    }
                }

                // dbias += ds (the bias is added to s, so its gradient is ds), summed over its broadcast extents.
                AddBiasGradient(problem, head, firstQuery, queries, firstKey, keys, width, scratch);

                // dQ += scale·ds·K (zeros for the padding keys' rows) and dK += scale·dsᵀ·Q.
                TileMath.Multiply(ref weightGradients, width, 1, ref unpaddedKeys, headSize,
                    ref *(queryGradient + (long)firstQuery * headSize), headSize, queries, keys, headSize, problem.Scale, accumulate: true);
                TileMath.Multiply(ref weightGradients, 1, width, ref *queryBlockRows, headSize,
                    ref *(keyGradient + (long)firstKey * headSize), headSize, keys, queries, headSize, problem.Scale, accumulate: true);
            }
        }

        return sinkGradient;
    }

    /// <summary>
    /// The blocks of queries [first, end) that see some key of [<paramref name="firstKey"/>, + <paramref name="keys"/>)
    /// through their causal mask and window: every block without a mask or window. Both ends of a block's keys grow with
    /// the block, so the first block that sees a key block only grows with the key block: the search starts at
    /// <paramref name="searchFrom"/>, the previous key block's first, and leaves this one's there.
    /// </summary>
    private static (int First, int End) QueryBlocksSeeing(in AttentionProblem<T> problem, int firstKey, int keys, ref int searchFrom)
    {
        int blocks = problem.QueryBlocks;
        if (!problem.Banded)
        {
            return (0, blocks);
        }

        int first = searchFrom;
        while (first < blocks && !Sees(problem, first, firstKey, keys) && Before(problem, first, firstKey))
        {
            first++;
        }

        searchFrom = first;
        int end = first;
        while (end < blocks && Sees(problem, end, firstKey, keys))
        {
            end++;
        }

        return (first, end);
    }

    /// <summary>Whether every key query block <paramref name="queryBlock"/> sees comes before <paramref name="firstKey"/>, or it sees none.</summary>
    private static bool Before(in AttentionProblem<T> problem, int queryBlock, int firstKey)
    {
        (int start, int end) = problem.VisibleKeys(queryBlock);
        return end <= firstKey || start >= end;
    }

    private static bool Sees(in AttentionProblem<T> problem, int queryBlock, int firstKey, int keys)
    {
        (int start, int end) = problem.VisibleKeys(queryBlock);
        return start < firstKey + keys && firstKey < end && start < end;
    }

    /// <summary>Adds the bias to the scores of a tile (before σ: σ(scale·q·k + bias)); nothing without a bias.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddBias(in AttentionProblem<T> problem, int head, int firstQuery, int queries, int firstKey, int keys, int width, AttentionScratch<T> scratch)
    {
        if (problem.Bias is null)
        {
            return;
        }

        T* bias = problem.BiasRow(head, firstQuery);
        ref T scores = ref MemoryMarshal.GetArrayDataReference(scratch.Scores);
        for (int row = 0; row < queries; row++, bias += problem.BiasQueryStride)
        {
            ref T scoreRow = ref Unsafe.Add(ref scores, row * width);
            if (problem.BiasKeyStride == 0)
            {
                AddToRow(ref scoreRow, keys, *bias);
            }
            else
            {
                AddToRow(ref scoreRow, ref *(bias + firstKey), keys);
            }
        }
    }

    /// <summary>
    /// Adds ds, a tile's score gradients, to the bias gradient (in the bias's shape), or writes it there when it is the
    /// entries' only contribution (<see cref="AttentionProblem{T}.OverwriteBiasGradient"/>); nothing when it is not asked for.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddBiasGradient(in AttentionProblem<T> problem, int head, int firstQuery, int queries, int firstKey, int keys, int width, AttentionScratch<T> scratch)
    {
        if (problem.BiasGradient is null)
        {
            return;
        }

        T* biasGradient = problem.BiasGradientRow(head, firstQuery);
        ref T gradients = ref MemoryMarshal.GetArrayDataReference(scratch.WeightGradients!);
        for (int row = 0; row < queries; row++, biasGradient += problem.BiasQueryStride)
        {
            ref T gradientRow = ref Unsafe.Add(ref gradients, row * width);
            if (problem.BiasKeyStride == 0)
            {
                T total = *biasGradient;
                for (int column = 0; column < keys; column++)
                {
                    total += Unsafe.Add(ref gradientRow, column);
                }

                *biasGradient = total;
            }
            else if (problem.OverwriteBiasGradient)
            {
                MemoryMarshal.CreateReadOnlySpan(ref gradientRow, keys).CopyTo(new Span<T>(biasGradient + firstKey, keys));
            }
            else
            {
                AddToRow(ref *(biasGradient + firstKey), ref gradientRow, keys);
            }
        }
    }

    /// <summary>row[i] += source[i] for i &lt; length: a tile row's worth, too short for a library call to pay.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddToRow(ref T row, ref T source, int length)
    {
        int i = 0;
        for (; i + Width <= length; i += Width)
        {
            (Vector.LoadUnsafe(ref row, (nuint)i) + Vector.LoadUnsafe(ref source, (nuint)i)).StoreUnsafe(ref row, (nuint)i);
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref row, i) += Unsafe.Add(ref source, i);
        }
    }

    /// <summary>row[i] += value for i &lt; length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddToRow(ref T row, int length, T value)
    {
        var broadcast = new Vector<T>(value);
        int i = 0;
        for (; i + Width <= length; i += Width)
        {
            (Vector.LoadUnsafe(ref row, (nuint)i) + broadcast).StoreUnsafe(ref row, (nuint)i);
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref row, i) += value;
        }
    }

    /// <summary>
    /// σ(s) into the weights tile from the scores s = scale·Q·Kᵀ (+ bias) in the scores tile, masked: σ is −∞ at the
    /// tile's masked entries (<see cref="Mask"/>) and where a score came out −∞ (q·k overflowing, a −∞ bias entry),
    /// which is masked as the materialized formula masks it: σ never sees it (σ(−∞) is NaN for most parameters). With
    /// <paramref name="standIns"/> (the backward, whose σ′ reads s) s becomes the finite stand-in 0 at all of them;
    /// without (the forward) each row's largest σ lands in <see cref="AttentionScratch{T}.TileRowMaximum"/>, taken in
    /// the same pass. The mask goes first, so that the maxima see only visible keys.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaskedSigma(
        in AttentionProblem<T> problem, int firstQuery, int queries, int firstKey, int keys, int width, ReadOnlySpan<int> paddedColumns,
        AttentionScratch<T> scratch, bool standIns)
    {
        int length = queries * width;
        TKernel.Sigma(scratch.Scores.AsSpan(0, length), scratch.Weights.AsSpan(0, length), problem.ParameterSpan);
        ref T scores = ref MemoryMarshal.GetArrayDataReference(scratch.Scores);
        ref T sigma = ref MemoryMarshal.GetArrayDataReference(scratch.Weights);
        Mask(problem, ref sigma, T.NegativeInfinity, ref standIns ? ref scores : ref Unsafe.NullRef<T>(), firstQuery, queries, firstKey, keys, width, paddedColumns);

        var negativeInfinity = new Vector<T>(T.NegativeInfinity);
        for (int row = 0, start = 0; row < queries; row++, start += width)
        {
            Vector<T> maximum = negativeInfinity;
            for (int i = start; i < start + width; i += Width)
            {
                Vector<T> value = Vector.LoadUnsafe(ref sigma, (nuint)i);
                Vector<T> infinite = Vector.Equals(Vector.LoadUnsafe(ref scores, (nuint)i), negativeInfinity);
                if (infinite != Vector<T>.Zero)
                {
                    value = Vector.ConditionalSelect(infinite, negativeInfinity, value);
                    value.StoreUnsafe(ref sigma, (nuint)i);
                    if (standIns)
                    {
                        Vector.AndNot(Vector.LoadUnsafe(ref scores, (nuint)i), infinite).StoreUnsafe(ref scores, (nuint)i);
                    }
                }

                if (!standIns)
                {
                    maximum = Vector.Max(maximum, value);
                }
            }

            if (!standIns)
            {
                scratch.TileRowMaximum[row] = TileMath.MaxAcross(maximum);
            }
        }
    }

    /// <summary>Zeroes the given columns of a block turned to [rows × <paramref name="stride"/>]: its padding keys.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ZeroColumns(ref T transposed, int rows, int stride, ReadOnlySpan<int> columns)
    {
        if (columns.IsEmpty)
        {
            return;
        }

        for (int t = 0; t < rows; t++)
        {
            ref T row = ref Unsafe.Add(ref transposed, (nint)t * stride);
            foreach (int column in columns)
            {
                Unsafe.Add(ref row, column) = T.Zero;
            }
        }
    }

    /// <summary>
    /// A block of <paramref name="keys"/> key or value rows as the products read them: the rows themselves, or with
    /// <paramref name="padded"/> padding keys among them (<see cref="AttentionScratch{T}.PaddedColumns"/>) a copy whose
    /// padding rows are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ref T UnpaddedRows(T* rows, int keys, int headSize, AttentionScratch<T> scratch, int padded)
    {
        if (padded == 0)
        {
            return ref *rows;
        }

        Span<T> copy = scratch.UnpaddedRows.AsSpan(0, keys * headSize);
        new ReadOnlySpan<T>(rows, keys * headSize).CopyTo(copy);
        foreach (int column in scratch.PaddedColumns.AsSpan(0, padded))
        {
            copy.Slice(column * headSize, headSize).Clear();
        }

        return ref MemoryMarshal.GetReference(copy);
    }

    /// <summary>
    /// Counts the padding keys among <c>[firstKey, firstKey + keys)</c> and lists their tile columns.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int PaddedColumns(bool* padding, int firstKey, int keys, Span<int> columns)
    {
        if (padding is null)
        {
            return 0;
        }

        int count = 0;
        for (int column = 0; column < keys; column++)
        {
            if (padding[firstKey + column])
            {
                columns[count++] = column;
            }
        }

        return count;
    }

    /// <summary>
    /// Sets a tile to <paramref name="masked"/> (σ to −∞; P or ds to 0) and s, when given, to the stand-in 0 at the
    /// tile's masked entries: the columns past its last key, padding keys, and the keys outside each query's causal mask
    /// or window.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Mask(
        in AttentionProblem<T> problem, ref T tile, T masked, ref T scores, int firstQuery, int queries, int firstKey, int keys, int width, ReadOnlySpan<int> paddedColumns)
    {
        bool hasScores = !Unsafe.IsNullRef(ref scores);
        bool bandCut = problem.Banded
            && (problem.KeyRange(firstQuery + queries - 1).Start > firstKey || problem.KeyRange(firstQuery).End < firstKey + keys);
        if (keys == width && paddedColumns.IsEmpty && !bandCut)
        {
            return;
        }

        for (int row = 0; row < queries; row++)
        {
            // Columns before visibleFrom and from visibleTo on are outside this query's band or past the tile's keys.
            int visibleFrom = 0, visibleTo = keys;
            if (bandCut)
            {
                (int start, int end) = problem.KeyRange(firstQuery + row);
                visibleTo = Math.Clamp(end - firstKey, 0, keys);
                visibleFrom = Math.Min(Math.Clamp(start - firstKey, 0, keys), visibleTo);
            }

            ref T tileRow = ref Unsafe.Add(ref tile, row * width);
            if (visibleFrom > 0)
            {
                MemoryMarshal.CreateSpan(ref tileRow, visibleFrom).Fill(masked);
            }

            MemoryMarshal.CreateSpan(ref Unsafe.Add(ref tileRow, visibleTo), width - visibleTo).Fill(masked);
            foreach (int column in paddedColumns)
            {
                Unsafe.Add(ref tileRow, column) = masked;
            }

            if (hasScores)
            {
                ref T scoreRow = ref Unsafe.Add(ref scores, row * width);
                if (visibleFrom > 0)
                {
                    MemoryMarshal.CreateSpan(ref scoreRow, visibleFrom).Clear();
                }

                MemoryMarshal.CreateSpan(ref Unsafe.Add(ref scoreRow, visibleTo), width - visibleTo).Clear();
                foreach (int column in paddedColumns)
                {
                    Unsafe.Add(ref scoreRow, column) = T.Zero;
                }
            }
        }
    }

    /// <summary>
    /// Replaces each entry e of a tile row by exp(e − shift) and returns their sum. Every e − shift is at most 0 or NaN
    /// (the shift is the row's maximum, or its log-sum-exp, which is no smaller), so the exponential needs no upper clamp.
    /// </summary>
    /// <remarks>
    /// Float rows take 512-bit lanes where accelerated, with the exponential the generated kernels' wide path inlines
    /// (docs/benchmarks.md); the BCL's 512-bit exponential, a call here, was slower than the 256-bit one, so double
    /// rows stay at <see cref="Vector{T}"/>'s width.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double ExponentiateRow(ref T row, int length, T shift)
    {
        // A row as wide as a tile of 50 keys (56 columns) takes three 512-bit vectors and one of Vector<T>'s width.
        int start = 0;
        double wideTotal = 0;
        if (typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated && length >= Vector512<float>.Count)
        {
            ref float wideRow = ref Unsafe.As<T, float>(ref row);
            var wideShift = Vector512.Create(float.CreateTruncating(shift));
            Vector512<float> wideSum = Vector512<float>.Zero;
            for (; start + Vector512<float>.Count <= length; start += Vector512<float>.Count)
            {
                Vector512<float> e = VectorMath.ExpNonPositive(Vector512.LoadUnsafe(ref wideRow, (nuint)start) - wideShift);
                wideSum += e;
                e.StoreUnsafe(ref wideRow, (nuint)start);
            }

            wideTotal = Vector512.Sum(wideSum);
            if (start == length)
            {
                return wideTotal;
            }
        }

        var shiftBroadcast = new Vector<T>(shift);
        Vector<T> sum = Vector<T>.Zero;
        for (int i = start; i < length; i += Width)
        {
            Vector<T> e = TileMath.ExpNonPositive(Vector.LoadUnsafe(ref row, (nuint)i) - shiftBroadcast);
            sum += e;
            e.StoreUnsafe(ref row, (nuint)i);
        }

        return wideTotal + double.CreateTruncating(Vector.Sum(sum));
    }

    /// <summary>gσ = P ∘ (dP − D) over a tile row, written over dP.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientRow(ref T weightRow, ref T gradientRow, int length, T shared)
    {
        var sharedBroadcast = new Vector<T>(shared);
        for (int i = 0; i < length; i += Width)
        {
            Vector<T> gradient = Vector.LoadUnsafe(ref weightRow, (nuint)i) * (Vector.LoadUnsafe(ref gradientRow, (nuint)i) - sharedBroadcast);
            gradient.StoreUnsafe(ref gradientRow, (nuint)i);
        }
    }

    /// <summary>row[i] ·= factor: an output row rescaled when its running maximum moves, and divided by its sum at the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scale(T* row, int length, T factor)
    {
        var broadcast = new Vector<T>(factor);
        int i = 0;
        for (; i + Width <= length; i += Width)
        {
            (Vector.Load(row + i) * broadcast).Store(row + i);
        }

        for (; i < length; i++)
        {
            row[i] *= factor;
        }
    }

    /// <summary>Σ a_i·b_i in double, in vectors of double lanes (a float's product is exact in double).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Dot(T* a, T* b, int length)
    {
        Vector<double> lanes = Vector<double>.Zero;
        int i = 0;
        if (typeof(T) == typeof(float))
        {
            for (; i + Vector<float>.Count <= length; i += Vector<float>.Count)
            {
                Vector.Widen(Vector.Load((float*)a + i), out Vector<double> a0, out Vector<double> a1);
                Vector.Widen(Vector.Load((float*)b + i), out Vector<double> b0, out Vector<double> b1);
                lanes = Vector.FusedMultiplyAdd(a1, b1, Vector.FusedMultiplyAdd(a0, b0, lanes));
            }
        }
        else
        {
            for (; i + Vector<double>.Count <= length; i += Vector<double>.Count)
            {
                lanes = Vector.FusedMultiplyAdd(Vector.Load((double*)a + i), Vector.Load((double*)b + i), lanes);
            }
        }

        double sum = Vector.Sum(lanes);
        for (; i < length; i++)
        {
            sum += double.CreateTruncating(a[i]) * double.CreateTruncating(b[i]);
        }

        return sum;
    }
}
