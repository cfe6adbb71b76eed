using System;
using System.ComponentModel;
using System.Numerics;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// A declaration's fused attention on ILGPU, for every σ: the host methods that generated <c>&lt;Name&gt;Gpu</c>
/// classes call (the checks of <see cref="GpuAttentionRunner"/> before any launch) and their kernels: forward, key pass,
/// query pass and, with a bias gradient, the bias's. σ comes in as a <c>TModulator</c> struct (<see cref="IGpuModulator{T}"/>). Tiles of queries,
/// keys and values live in shared memory; nothing of size queries × keys is ever allocated; no atomics, so every
/// result has the same bits on every run.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GpuAttentionKernels
{
    /// <summary>
    /// The forward, asynchronously on <paramref name="stream"/>: <c>output = Σ_j p_j·value_j</c> with
    /// <c>p = SoftMax(σ(scale·query·keyᵀ + bias))</c> over each query's visible keys (and its head's sink, in the
    /// denominator only), and log Σ exp σ per query for the backward.
    /// </summary>
    /// <exception cref="ArgumentException">A length does not fit the shape, or an output overlaps an input; nothing is launched then.</exception>
    public static void Forward<T, TElement, TModulator>(
        AcceleratorStream stream, ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> output, ArrayView<T> logSumExp,
        AttentionShape shape, ArrayView<T> parameters, GpuAttentionOptions<T> options)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        GpuAttentionSettings settings = GpuAttentionRunner.CheckForward(query, key, value, output, logSumExp, shape, parameters, TModulator.ParameterCount, options);
        if (shape.LogSumExpLength == 0)
        {
            return; // no query (with a head size of 0 the log-sum-exp still is written)
        }

        var (launch, tiles) = GpuAttentionRunner.Plan<T>(stream.Accelerator, settings, GpuAttentionKernelKind.Forward, TModulator.ParameterCount);
        var forward = GpuNormalizerRunner.Load(stream.Accelerator, ForwardKernel<T, TElement, TModulator>, static accelerator =>
            accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<byte>, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuAttentionSettings>(ForwardKernel<T, TElement, TModulator>));
        forward(stream, launch, query, key, value, output, logSumExp, options.KeyPaddingMask, parameters, options.Sinks, options.Bias, tiles);
    }

    /// <summary>
    /// The backward of <see cref="Forward"/>: recomputes each tile's weights from <paramref name="logSumExp"/>, writes the
    /// query, key and value gradients and, when σ has parameters, overwrites <paramref name="parameterGradients"/> with
    /// their sums over every score; when not empty, <paramref name="biasGradient"/> (in the bias's shape) and
    /// <paramref name="sinkGradient"/> with the bias's and the sinks'. Waits for the stream.
    /// </summary>
    /// <exception cref="ArgumentException">A length does not fit the shape, or an output overlaps an input or another output; nothing is launched then.</exception>
    public static void Backward<T, TElement, TModulator>(
        AcceleratorStream stream, ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> output, ArrayView<T> logSumExp,
        ArrayView<T> outputGradient, ArrayView<T> queryGradient, ArrayView<T> keyGradient, ArrayView<T> valueGradient,
        AttentionShape shape, ArrayView<T> parameters, ArrayView<T> parameterGradients, GpuAttentionOptions<T> options,
        ArrayView<T> biasGradient, ArrayView<T> sinkGradient)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        GpuAttentionSettings settings = GpuAttentionRunner.CheckBackward(
            query, key, value, output, logSumExp, outputGradient, queryGradient, keyGradient, valueGradient, shape,
            parameters, parameterGradients, TModulator.ParameterCount, options, biasGradient, sinkGradient);
        Accelerator accelerator = stream.Accelerator;
        var (keyLaunch, keyTiles) = GpuAttentionRunner.Plan<T>(accelerator, settings, GpuAttentionKernelKind.KeysAndValues, TModulator.ParameterCount);
        var (queryLaunch, queryTiles) = GpuAttentionRunner.Plan<T>(accelerator, settings, GpuAttentionKernelKind.Queries, TModulator.ParameterCount);

        // No atomics, so every gradient has the same bits on every run: D = rowsum(dO ∘ O) per query; one group per (key/value
        // head, block of keys) for dK, dV and its share of the parameter sums; one group per block of queries for dQ; then
        // the parameter and sink sums in a fixed order. Every kernel is compiled before the first launch: a failed compile
        // writes nothing.
        var keys = GpuNormalizerRunner.Load(accelerator, KeysKernel<T, TElement, TModulator>, static accelerator =>
            accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<byte>, ArrayView<T>, ArrayView<T>, ArrayView<double>, GpuAttentionSettings>(
                KeysKernel<T, TElement, TModulator>));
        var queries = GpuNormalizerRunner.Load(accelerator, QueriesKernel<T, TElement, TModulator>, static accelerator =>
            accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<byte>, ArrayView<T>, ArrayView<T>, GpuAttentionSettings>(
                QueriesKernel<T, TElement, TModulator>));
        if (TModulator.ParameterCount > 0)
        {
            GpuNormalizerRunner.LoadSumPartials<T, TElement>(accelerator); // compiled now, launched last
        }

        var sinkGradients = sinkGradient.Length > 0 ? GpuAttentionRunner.LoadSinkGradients<T, TElement>(accelerator) : null;
        var biasGradients = biasGradient.Length > 0
            ? GpuNormalizerRunner.Load(accelerator, BiasGradientKernel<T, TElement, TModulator>, static accelerator =>
                accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<byte>, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuAttentionSettings>(
                    BiasGradientKernel<T, TElement, TModulator>))
            : null;
        using var scratch = new GpuAttentionScratch<T>(accelerator, settings, keyLaunch.GridDim.X, TModulator.ParameterCount);
        GpuAttentionRunner.OutputDots<T, TElement>(stream, outputGradient, output, scratch, shape.HeadSize);
        keys(stream, keyLaunch, query, key, value, outputGradient, logSumExp, scratch.Delta, keyGradient, valueGradient, options.KeyPaddingMask, parameters, options.Bias, scratch.Partials, keyTiles);
        if (shape.QueryLength > 0)
        {
            queries(stream, queryLaunch, query, key, value, outputGradient, logSumExp, scratch.Delta, queryGradient, options.KeyPaddingMask, parameters, options.Bias, queryTiles);
        }

        if (TModulator.ParameterCount > 0)
        {
            GpuNormalizerRunner.SumPartials<T, TElement>(stream, scratch.Partials, scratch.KeyGroups, parameterGradients);
        }

        if (biasGradients is not null)
        {
            var (biasLaunch, biasTiles) = GpuAttentionRunner.Plan<T>(accelerator, settings, GpuAttentionKernelKind.BiasGradient, TModulator.ParameterCount);
            biasGradients(stream, biasLaunch, query, key, value, outputGradient, logSumExp, scratch.Delta, options.KeyPaddingMask, parameters, options.Bias, biasGradient, biasTiles);
        }

        if (sinkGradients is not null)
        {
            GpuAttentionRunner.SinkGradients(stream, sinkGradients, options.Sinks, logSumExp, scratch.Delta, settings, sinkGradient);
        }

        // The scratch is freed when this method returns: wait for the kernels that use it.
        stream.Synchronize();
    }

    /// <summary>
    /// One group per (head, block of queries), streaming tiles of keys and values: σ(scale·q·kᵀ), a running maximum m and
    /// sum l of exp(σ − m) per query — the online SoftMax over σ, not over the scores (σ need not be monotone), started
    /// at the head's sink when there is one — and O += P·V with earlier tiles rescaled by exp(m_old − m_new). Stores
    /// L = m + log l for the backward.
    /// </summary>
    internal static void ForwardKernel<T, TElement, TModulator>(
        ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> output, ArrayView<T> logSumExp, ArrayView<byte> keyPaddingMask,
        ArrayView<T> parameters, ArrayView<T> sinks, ArrayView<T> bias, GpuAttentionSettings tiles)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T>
    {
        int lane = Group.IdxX, lanes = Group.DimX, headSize = tiles.HeadSize, block = tiles.Block, stride = GpuTiles.RowStride(headSize);
        T scoreScale = TElement.FromDouble(tiles.Scale);
        QueryBlock blockOf = new(tiles);
        TModulator modulator = default;
        modulator.Load(parameters);
        bool poisoned = modulator.IsPoisoned;

        // Shared: the block's queries and output rows, a key and a value tile, σ then P of the tile; per query m, l and the rescaling.
        var shared = SharedMemory.GetDynamic<T>();
        var queryTile = shared.SubView(0, block * stride);
        var keyTile = shared.SubView(block * stride, block * stride);
        var valueTile = shared.SubView(2 * block * stride, block * stride);
        var outputTile = shared.SubView(3 * block * stride, block * stride);
        var weights = shared.SubView(4 * block * stride, block * block);
        var rowMax = SharedMemory.Allocate<T>(GpuTiles.MaxBlock);
        var rowSum = SharedMemory.Allocate<double>(GpuTiles.MaxBlock);
        var rowRescale = SharedMemory.Allocate<T>(GpuTiles.MaxBlock);
        for (int e = lane; e < blockOf.Queries * headSize; e += lanes)
        {
            queryTile[e + e / headSize * (stride - headSize)] = query[blockOf.QueryStart + e];
            outputTile[e] = T.Zero;
        }

        // A sink joins every denominator on σ's scale: the running maximum starts at it, and the sum at its exp(c − c) = 1.
        T sink = sinks.Length == 0 ? T.NegativeInfinity : sinks[blockOf.Head % tiles.Heads];
        for (int i = lane; i < blockOf.Queries; i += lanes)
        {
            rowMax[i] = sink;
            rowSum[i] = sink == T.NegativeInfinity ? 0 : 1;
        }

        int endKey = blockOf.EndVisibleKey(tiles);
        for (int firstKey = blockOf.FirstVisibleKey(tiles); firstKey < endKey; firstKey += block)
        {
            int keys = endKey - firstKey < block ? endKey - firstKey : block;
            if (!LoadKeyTile(key, value, keyPaddingMask, tiles, blockOf.PaddingStart, blockOf.KeyStart, firstKey, keys, keyTile, valueTile, stride))
            {
                continue; // every key of the tile is padding: skipped, not computed and masked
            }

            GpuTileProducts.Multiply(queryTile, keyTile, weights, headSize, block, stride);
            // σ(scale·q·kᵀ + bias) of every visible (query, key) pair; masked pairs are −∞ and never reach σ, and so is a
            // score that comes out −∞ itself (q·k overflowing, or a −∞ bias entry), as the materialized formula masks it.
            for (int e = lane; e < blockOf.Queries * block; e += lanes)
            {
                int i = e / block, j = e - i * block, qi = blockOf.FirstQuery + i, kj = firstKey + j;
                T sv = Score(tiles, bias, blockOf.Head, qi, kj, scoreScale, weights[e], j < keys);
                weights[e] = j < keys && sv != T.NegativeInfinity && Visible(tiles, keyPaddingMask, blockOf.PaddingStart, qi, kj) ? modulator.Sigma(sv) : T.NegativeInfinity;
            }

            Group.Barrier();

            // One lane per query: the tile's max σ, the new running max, P = exp(σ − m_new) in place, and l rescaled. A
            // NaN σ (or a NaN parameter with a visible key) makes the query NaN for good: the max is kept NaN explicitly,
            // since XMath.Max drops a NaN on CUDA.
            for (int i = lane; i < blockOf.Queries; i += lanes)
            {
                T tileMax = T.NegativeInfinity;
                bool nan = T.IsNaN(rowMax[i]);
                for (int j = 0; j < keys; j++)
                {
                    T entry = weights[i * block + j];
                    nan |= T.IsNaN(entry);
                    tileMax = TElement.Max(tileMax, entry);
                }

                nan |= poisoned && tileMax != T.NegativeInfinity;
                T newMax = nan ? T.NaN : TElement.Max(rowMax[i], tileMax);
                if (newMax == T.NegativeInfinity)
                {
                    for (int j = 0; j < keys; j++)
                    {
                        weights[i * block + j] = T.Zero; // nothing visible yet: no weight
                    }

                    rowRescale[i] = T.One;
                    continue;
                }

                T rescale = TElement.Exp(rowMax[i] - newMax);
                double tileSum = 0;
                for (int j = 0; j < keys; j++)
                {
                    T weight = TElement.Exp(weights[i * block + j] - newMax);
                    weights[i * block + j] = weight;
                    tileSum += TElement.ToDouble(weight);
                }

                rowSum[i] = rowSum[i] * TElement.ToDouble(rescale) + tileSum;
                rowMax[i] = newMax;
                rowRescale[i] = rescale;
            }

            Group.Barrier();

            // O = O·exp(m_old − m_new) + P·V.
            GpuTileProducts.Accumulate(outputTile, weights, transposed: false, valueTile, blockOf.Queries, keys, headSize, block, stride, rescaled: true, rowRescale);
        }

        Group.Barrier();

        // O / l and L = m + log l; a query with no visible key gets O = 0 and L = −∞ (the sink with one: O is still 0).
        for (int e = lane; e < blockOf.Queries * headSize; e += lanes)
        {
            int i = e / headSize;
            output[blockOf.QueryStart + e] = rowMax[i] == T.NegativeInfinity ? T.Zero : outputTile[e] * TElement.FromDouble(1 / rowSum[i]);
        }

        for (int i = lane; i < blockOf.Queries; i += lanes)
        {
            logSumExp[blockOf.RowStart + i] = rowMax[i] == T.NegativeInfinity ? T.NegativeInfinity : rowMax[i] + TElement.FromDouble(XMath.Log(rowSum[i]));
        }
    }

    /// <summary>
    /// One group per (key/value head, block of keys), over the query heads that read it, one after another, and every
    /// block of their queries that sees the keys: P = exp(σ − L) and gσ = P·(dO·v − D) recomputed per tile, ds = σ′(s)·gσ,
    /// dV += Pᵀ·dO and dK += scale·dsᵀ·Q in shared memory, and this group's share of Σ gσ·∂σ/∂θ, summed per lane in
    /// double and over the group in a fixed order, in its own slot of partials.
    /// </summary>
    internal static void KeysKernel<T, TElement, TModulator>(
        ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> outputGradient, ArrayView<T> logSumExp, ArrayView<T> delta,
        ArrayView<T> keyGradient, ArrayView<T> valueGradient, ArrayView<byte> keyPaddingMask, ArrayView<T> parameters, ArrayView<T> bias,
        ArrayView<double> partials, GpuAttentionSettings tiles)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T>
    {
        int lane = Group.IdxX, lanes = Group.DimX, headSize = tiles.HeadSize, block = tiles.Block, stride = GpuTiles.RowStride(headSize);
        T scoreScale = TElement.FromDouble(tiles.Scale);
        int keyHead = Grid.IdxX / tiles.KeyBlocks;
        int firstKey = Grid.IdxX % tiles.KeyBlocks * block;
        // The one group of a call with no head has no key: it writes its parameter slot alone.
        int keys = keyHead >= tiles.KeyHeadCount ? 0 : tiles.Keys - firstKey < block ? tiles.Keys - firstKey : block;
        int batch = tiles.KeyValueHeads == 0 ? 0 : keyHead / tiles.KeyValueHeads;
        long keyStart = (long)keyHead * tiles.Keys * headSize, paddingStart = (long)batch * tiles.Keys;
        // The query heads that read this key/value head, one after another: dK and dV add up over them in a fixed order.
        int firstHead = batch * tiles.Heads + (keyHead - batch * tiles.KeyValueHeads) * tiles.GroupSize;
        TModulator modulator = default;
        modulator.Load(parameters);

        // Shared: the key and value tiles and their gradients, a block of queries and of output gradients, P and ds.
        var shared = SharedMemory.GetDynamic<T>();
        var keyTile = shared.SubView(0, block * stride);
        var valueTile = shared.SubView(block * stride, block * stride);
        var keyGradientTile = shared.SubView(2 * block * stride, block * stride);
        var valueGradientTile = shared.SubView(3 * block * stride, block * stride);
        var queryTile = shared.SubView(4 * block * stride, block * stride);
        var outputGradientTile = shared.SubView(5 * block * stride, block * stride);
        var weights = shared.SubView(6 * block * stride, block * block);
        var scoreGradients = shared.SubView(6 * block * stride + block * block, block * block);
        var rowLogSumExp = SharedMemory.Allocate<T>(GpuTiles.MaxBlock);
        var rowDelta = SharedMemory.Allocate<T>(GpuTiles.MaxBlock);
        for (int e = lane; e < keys * headSize; e += lanes)
        {
            keyTile[e + e / headSize * (stride - headSize)] = key[keyStart + (long)firstKey * headSize + e];
            valueTile[e + e / headSize * (stride - headSize)] = value[keyStart + (long)firstKey * headSize + e];
            keyGradientTile[e] = T.Zero;
            valueGradientTile[e] = T.Zero;
        }

        // A group whose keys are all padding has nothing to add: its gradients stay 0.
        bool anyKey = keys > 0 && tiles.Padded == 0;
        for (int j = lane; j < keys && !anyKey; j += lanes)
        {
            anyKey = keyPaddingMask[paddingStart + firstKey + j] == 0;
        }

        anyKey = Group.BarrierOr(anyKey);
        // Only the queries whose causal mask and window reach the block's keys: from the first that sees its first key
        // to the last that sees its last.
        int startQuery = tiles.FirstQuery(firstKey), endQuery = tiles.EndQuery(firstKey + keys - 1);
        for (int head = firstHead; anyKey && head < firstHead + tiles.GroupSize; head++)
        {
            for (int firstQuery = startQuery; firstQuery < endQuery; firstQuery += block)
            {
                int queries = endQuery - firstQuery < block ? endQuery - firstQuery : block;
                long queryStart = ((long)head * tiles.Queries + firstQuery) * headSize, rowStart = (long)head * tiles.Queries + firstQuery;
                Group.Barrier(); // every lane is done with the previous block of queries
                LoadQueryTile(query, outputGradient, logSumExp, delta, queryStart, rowStart, queries, headSize, stride, queryTile, outputGradientTile, rowLogSumExp, rowDelta);
                Group.Barrier();

                GpuTileProducts.Multiply(queryTile, keyTile, weights, headSize, block, stride);
                GpuTileProducts.Multiply(outputGradientTile, valueTile, scoreGradients, headSize, block, stride);
                // P and ds = σ′(s)·gσ of every (query, key) pair of the tile, in place of the products; masked pairs and queries
                // with no visible key get 0.
                for (int e = lane; e < queries * block; e += lanes)
                {
                    int i = e / block, j = e - i * block, qi = firstQuery + i, kj = firstKey + j;
                    (bool visible, T sv, T weight, T gs) = WeightGradient<T, TElement, TModulator>(
                        modulator, tiles, keyPaddingMask, bias, paddingStart, head, weights[e], scoreGradients[e], rowLogSumExp[i], rowDelta[i], scoreScale, qi, kj, j < keys);
                    T scoreGradient = T.Zero;
                    if (visible)
                    {
                        scoreGradient = modulator.FusedGradient(sv, gs);
                    }

                    weights[e] = weight;
                    scoreGradients[e] = scoreGradient;
                }

                Group.Barrier();

                // dV += Pᵀ·dO and dK += scale·dsᵀ·Q.
                GpuTileProducts.Accumulate(valueGradientTile, weights, transposed: true, outputGradientTile, keys, queries, headSize, block, stride);
                GpuTileProducts.Accumulate(keyGradientTile, scoreGradients, transposed: true, queryTile, keys, queries, headSize, block, stride, scaled: true, factor: scoreScale);
            }
        }

        Group.Barrier();
        for (int e = lane; e < keys * headSize; e += lanes)
        {
            keyGradient[keyStart + (long)firstKey * headSize + e] = keyGradientTile[e];
            valueGradient[keyStart + (long)firstKey * headSize + e] = valueGradientTile[e];
        }

        if (TModulator.ParameterCount > 0)
        {
            // A NaN parameter σ reads makes every gradient NaN, as autograd of the formula does, even with nothing visible.
            modulator.WriteFusedParameterSums(partials, Grid.IdxX);
        }
    }

    /// <summary>
    /// One group per (head, block of queries), over every tile of keys it sees: ds = σ′(s)·gσ recomputed per tile and
    /// dQ += scale·ds·K in shared memory. Written by one group per row, so no atomics: the same bits on every run.
    /// </summary>
    internal static void QueriesKernel<T, TElement, TModulator>(
        ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> outputGradient, ArrayView<T> logSumExp, ArrayView<T> delta,
        ArrayView<T> queryGradient, ArrayView<byte> keyPaddingMask, ArrayView<T> parameters, ArrayView<T> bias, GpuAttentionSettings tiles)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T>
    {
        int lane = Group.IdxX, lanes = Group.DimX, headSize = tiles.HeadSize, block = tiles.Block, stride = GpuTiles.RowStride(headSize);
        T scoreScale = TElement.FromDouble(tiles.Scale);
        QueryBlock blockOf = new(tiles);
        TModulator modulator = default;
        modulator.Load(parameters);

        // Shared: the block's queries, output gradients and query gradients, a key and a value tile; q·k then ds, and dO·v.
        var shared = SharedMemory.GetDynamic<T>();
        var queryTile = shared.SubView(0, block * stride);
        var outputGradientTile = shared.SubView(block * stride, block * stride);
        var queryGradientTile = shared.SubView(2 * block * stride, block * stride);
        var keyTile = shared.SubView(3 * block * stride, block * stride);
        var valueTile = shared.SubView(4 * block * stride, block * stride);
        var scoreGradients = shared.SubView(5 * block * stride, block * block);
        var outputDots = shared.SubView(5 * block * stride + block * block, block * block);
        var rowLogSumExp = SharedMemory.Allocate<T>(GpuTiles.MaxBlock);
        var rowDelta = SharedMemory.Allocate<T>(GpuTiles.MaxBlock);
        LoadQueryTile(query, outputGradient, logSumExp, delta, blockOf.QueryStart, blockOf.RowStart, blockOf.Queries, headSize, stride, queryTile, outputGradientTile, rowLogSumExp, rowDelta);
        for (int e = lane; e < blockOf.Queries * headSize; e += lanes)
        {
            queryGradientTile[e] = T.Zero;
        }

        int endKey = blockOf.EndVisibleKey(tiles);
        for (int firstKey = blockOf.FirstVisibleKey(tiles); firstKey < endKey; firstKey += block)
        {
            int keys = endKey - firstKey < block ? endKey - firstKey : block;
            if (!LoadKeyTile(key, value, keyPaddingMask, tiles, blockOf.PaddingStart, blockOf.KeyStart, firstKey, keys, keyTile, valueTile, stride))
            {
                continue; // every key of the tile is padding: skipped, not computed and masked
            }

            GpuTileProducts.Multiply(queryTile, keyTile, scoreGradients, headSize, block, stride);
            GpuTileProducts.Multiply(outputGradientTile, valueTile, outputDots, headSize, block, stride);
            // ds of every (query, key) pair of the tile, in place of q·k; masked pairs and queries with no visible key get 0.
            // The parameter sums are the key pass's: here they are left unused.
            for (int e = lane; e < blockOf.Queries * block; e += lanes)
            {
                int i = e / block, j = e - i * block, qi = blockOf.FirstQuery + i, kj = firstKey + j;
                (bool visible, T sv, _, T gs) = WeightGradient<T, TElement, TModulator>(
                    modulator, tiles, keyPaddingMask, bias, blockOf.PaddingStart, blockOf.Head, scoreGradients[e], outputDots[e], rowLogSumExp[i], rowDelta[i], scoreScale, qi, kj, j < keys);
                scoreGradients[e] = visible ? modulator.FusedGradient(sv, gs) : T.Zero;
            }

            Group.Barrier();

            // dQ += scale·ds·K.
            GpuTileProducts.Accumulate(queryGradientTile, scoreGradients, transposed: false, keyTile, blockOf.Queries, keys, headSize, block, stride, scaled: true, factor: scoreScale);
        }

        Group.Barrier();
        for (int e = lane; e < blockOf.Queries * headSize; e += lanes)
        {
            queryGradient[blockOf.QueryStart + e] = queryGradientTile[e];
        }
    }

    /// <summary>
    /// One group per block of the bias's entries (a (batch, head) of the bias, a block of its queries and one of its keys,
    /// each a single entry where the bias broadcasts): over every (query head, query, key) whose score adds it — the
    /// broadcast batches and heads one after another, and the broadcast queries and keys tile by tile — ds = σ′(s)·gσ
    /// recomputed per tile and summed into the group's entries, each by one lane in a fixed order: no atomics, the same
    /// bits on every run.
    /// </summary>
    internal static void BiasGradientKernel<T, TElement, TModulator>(
        ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> outputGradient, ArrayView<T> logSumExp, ArrayView<T> delta,
        ArrayView<byte> keyPaddingMask, ArrayView<T> parameters, ArrayView<T> bias, ArrayView<T> biasGradient, GpuAttentionSettings tiles)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T>
    {
        int lane = Group.IdxX, lanes = Group.DimX, headSize = tiles.HeadSize, block = tiles.Block, stride = GpuTiles.RowStride(headSize);
        T scoreScale = TElement.FromDouble(tiles.Scale);
        AttentionBiasShape biasShape = tiles.BiasShape;
        bool everyQuery = biasShape.Queries == 1, everyKey = biasShape.Keys == 1;
        int group = Grid.IdxX;
        int firstBiasKey = group % tiles.BiasKeyBlocks * block;
        group /= tiles.BiasKeyBlocks;
        int firstBiasQuery = group % tiles.BiasQueryBlocks * block;
        group /= tiles.BiasQueryBlocks;
        int biasHead = group % biasShape.Heads, biasBatch = group / biasShape.Heads;
        int biasQueries = biasShape.Queries - firstBiasQuery < block ? biasShape.Queries - firstBiasQuery : block;
        int biasKeys = biasShape.Keys - firstBiasKey < block ? biasShape.Keys - firstBiasKey : block;
        TModulator modulator = default;
        modulator.Load(parameters);

        // Shared: a block of queries and their output gradients, a key and a value tile; q·k then ds, dO·v; the sums.
        var shared = SharedMemory.GetDynamic<T>();
        var queryTile = shared.SubView(0, block * stride);
        var outputGradientTile = shared.SubView(block * stride, block * stride);
        var keyTile = shared.SubView(2 * block * stride, block * stride);
        var valueTile = shared.SubView(3 * block * stride, block * stride);
        var scoreGradients = shared.SubView(4 * block * stride, block * block);
        var outputDots = shared.SubView(4 * block * stride + block * block, block * block);
        var sums = shared.SubView(4 * block * stride + 2 * block * block, block * block);
        var rowLogSumExp = SharedMemory.Allocate<T>(GpuTiles.MaxBlock);
        var rowDelta = SharedMemory.Allocate<T>(GpuTiles.MaxBlock);
        for (int e = lane; e < block * block; e += lanes)
        {
            sums[e] = T.Zero;
        }

        // The batches and heads whose scores add to this entry: one, or all of them where the bias broadcasts.
        int batches = biasShape.Batch == 1 ? tiles.Batch : 1, heads = biasShape.Heads == 1 ? tiles.Heads : 1;
        for (int b = 0; b < batches; b++)
        {
            for (int h = 0; h < heads; h++)
            {
                int head = (biasShape.Batch == 1 ? b : biasBatch) * tiles.Heads + (biasShape.Heads == 1 ? h : biasHead);
                long paddingStart = (long)(head / tiles.Heads) * tiles.Keys, keyStart = (long)tiles.KeyHead(head) * tiles.Keys * headSize;
                int endQuery = everyQuery ? tiles.Queries : firstBiasQuery + biasQueries;
                for (int firstQuery = everyQuery ? 0 : firstBiasQuery; firstQuery < endQuery; firstQuery += block)
                {
                    int queries = endQuery - firstQuery < block ? endQuery - firstQuery : block;
                    long rowStart = (long)head * tiles.Queries + firstQuery;
                    Group.Barrier(); // every lane is done with the previous block of queries
                    LoadQueryTile(query, outputGradient, logSumExp, delta, rowStart * headSize, rowStart, queries, headSize, stride, queryTile, outputGradientTile, rowLogSumExp, rowDelta);
                    int endKey = everyKey ? tiles.EndKey(firstQuery + queries - 1) : firstBiasKey + biasKeys;
                    for (int firstKey = everyKey ? tiles.FirstKey(firstQuery) : firstBiasKey; firstKey < endKey; firstKey += block)
                    {
                        int keys = endKey - firstKey < block ? endKey - firstKey : block;
                        if (!LoadKeyTile(key, value, keyPaddingMask, tiles, paddingStart, keyStart, firstKey, keys, keyTile, valueTile, stride))
                        {
                            continue; // every key of the tile is padding: every ds is 0
                        }

                        GpuTileProducts.Multiply(queryTile, keyTile, scoreGradients, headSize, block, stride);
                        GpuTileProducts.Multiply(outputGradientTile, valueTile, outputDots, headSize, block, stride);
                        for (int e = lane; e < queries * block; e += lanes)
                        {
                            int i = e / block, j = e - i * block;
                            (bool visible, T sv, _, T gs) = WeightGradient<T, TElement, TModulator>(
                                modulator, tiles, keyPaddingMask, bias, paddingStart, head, scoreGradients[e], outputDots[e], rowLogSumExp[i], rowDelta[i], scoreScale,
                                firstQuery + i, firstKey + j, j < keys);
                            scoreGradients[e] = visible ? modulator.FusedGradient(sv, gs) : T.Zero;
                        }

                        Group.Barrier();

                        // Each entry of the group's block of the bias gradient adds its scores of the tile, by one lane, in order.
                        for (int entry = lane; entry < block * block; entry += lanes)
                        {
                            int row = entry / block, column = entry - row * block;
                            if (row >= (everyQuery ? 1 : queries) || column >= (everyKey ? 1 : keys))
                            {
                                continue;
                            }

                            T sum = sums[entry];
                            for (int i = everyQuery ? 0 : row; i < (everyQuery ? queries : row + 1); i++)
                            {
                                for (int j = everyKey ? 0 : column; j < (everyKey ? keys : column + 1); j++)
                                {
                                    sum += scoreGradients[i * block + j];
                                }
                            }

                            sums[entry] = sum;
                        }

                        Group.Barrier(); // the tiles are loaded afresh next
                    }
                }
            }
        }

        Group.Barrier();
        for (int entry = lane; entry < biasQueries * block; entry += lanes)
        {
            int row = entry / block, column = entry - row * block;
            if (column < biasKeys)
            {
                long index = biasBatch * tiles.BiasBatchStride + biasHead * tiles.BiasHeadStride + (firstBiasQuery + row) * tiles.BiasQueryStride
                    + (firstBiasKey + column) * tiles.BiasKeyStride;
                biasGradient[index] = sums[entry];
            }
        }
    }

    /// <summary>The score scale·q·k, plus the bias entry of (head, qi, kj) when there is a bias and the pair is in the tile.</summary>
    private static T Score<T>(GpuAttentionSettings tiles, ArrayView<T> bias, int head, int qi, int kj, T scoreScale, T product, bool inTile)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T score = scoreScale * product;
        return tiles.HasBias != 0 && inTile ? score + bias[tiles.BiasIndex(head, qi, kj)] : score;
    }

    /// <summary>Whether key <paramref name="kj"/> is visible to query <paramref name="qi"/>: in the causal mask and the window, and not padding.</summary>
    private static bool Visible(GpuAttentionSettings tiles, ArrayView<byte> keyPaddingMask, long paddingStart, int qi, int kj) =>
        tiles.InBand(qi, kj) && (tiles.Padded == 0 || keyPaddingMask[paddingStart + kj] == 0);

    /// <summary>
    /// Loads a tile of keys and values into shared memory, with zeros for padding keys' rows (a padding key is never
    /// read, so a NaN there reaches nothing: P·V and ds·K multiply by them), then a barrier. Returns false, the same in
    /// every lane (<c>BarrierOr</c>, which is also the barrier that keeps the previous tile until every lane is done with
    /// it), when every key of the tile is padding: the tile is then skipped and nothing is loaded.
    /// </summary>
    private static bool LoadKeyTile<T>(
        ArrayView<T> key, ArrayView<T> value, ArrayView<byte> keyPaddingMask, GpuAttentionSettings tiles, long paddingStart, long keyStart, int firstKey, int keys,
        ArrayView<T> keyTile, ArrayView<T> valueTile, int stride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lane = Group.IdxX, lanes = Group.DimX, headSize = tiles.HeadSize;
        bool anyKey = tiles.Padded == 0;
        for (int j = lane; j < keys && !anyKey; j += lanes)
        {
            anyKey = keyPaddingMask[paddingStart + firstKey + j] == 0;
        }

        if (!Group.BarrierOr(anyKey))
        {
            return false;
        }

        for (int e = lane; e < keys * headSize; e += lanes)
        {
            bool padding = tiles.Padded != 0 && keyPaddingMask[paddingStart + firstKey + e / headSize] != 0;
            keyTile[e + e / headSize * (stride - headSize)] = padding ? T.Zero : key[keyStart + (long)firstKey * headSize + e];
            valueTile[e + e / headSize * (stride - headSize)] = padding ? T.Zero : value[keyStart + (long)firstKey * headSize + e];
        }

        Group.Barrier();
        return true;
    }

    /// <summary>Loads a block of queries, their output gradients, L and D into shared memory.</summary>
    private static void LoadQueryTile<T>(
        ArrayView<T> query, ArrayView<T> outputGradient, ArrayView<T> logSumExp, ArrayView<T> delta, long queryStart, long rowStart, int queries,
        int headSize, int stride, ArrayView<T> queryTile, ArrayView<T> outputGradientTile, ArrayView<T> rowLogSumExp, ArrayView<T> rowDelta)
        where T : unmanaged
    {
        int lane = Group.IdxX, lanes = Group.DimX;
        for (int e = lane; e < queries * headSize; e += lanes)
        {
            queryTile[e + e / headSize * (stride - headSize)] = query[queryStart + e];
            outputGradientTile[e + e / headSize * (stride - headSize)] = outputGradient[queryStart + e];
        }

        for (int i = lane; i < queries; i += lanes)
        {
            rowLogSumExp[i] = logSumExp[rowStart + i];
            rowDelta[i] = delta[rowStart + i];
        }
    }

    /// <summary>
    /// For one (query, key) pair whose products q·k and dO·v are <paramref name="product"/> and <paramref name="outputDot"/>:
    /// the score, P and gσ = P·(dO·v − D), the part of the backward both passes recompute; all 0 unless visible.
    /// </summary>
    private static (bool Visible, T Score, T Weight, T SigmaGradient) WeightGradient<T, TElement, TModulator>(
        TModulator modulator, GpuAttentionSettings tiles, ArrayView<byte> keyPaddingMask, ArrayView<T> bias, long paddingStart, int head, T product,
        T outputDot, T logSumExp, T delta, T scoreScale, int qi, int kj, bool inTile)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T>
    {
        T weight = T.Zero, gs = T.Zero, sv = Score(tiles, bias, head, qi, kj, scoreScale, product, inTile);
        bool visible = inTile && sv != T.NegativeInfinity && logSumExp != T.NegativeInfinity && Visible(tiles, keyPaddingMask, paddingStart, qi, kj);
        if (visible)
        {
            weight = TElement.Exp(modulator.Sigma(sv) - logSumExp);
            gs = weight * (outputDot - delta);
        }

        return (visible, sv, weight, gs);
    }

    /// <summary>Where a query-block kernel's head, queries and keys start.</summary>
    private readonly struct QueryBlock
    {
        public QueryBlock(GpuAttentionSettings tiles)
        {
            int block = tiles.Block;
            int head = Grid.IdxX / tiles.QueryBlocks;
            Head = head;
            FirstQuery = Grid.IdxX % tiles.QueryBlocks * block;
            Queries = tiles.Queries - FirstQuery < block ? tiles.Queries - FirstQuery : block;
            RowStart = (long)head * tiles.Queries + FirstQuery;
            QueryStart = RowStart * tiles.HeadSize;
            KeyStart = (long)tiles.KeyHead(head) * tiles.Keys * tiles.HeadSize;
            PaddingStart = (long)(head / tiles.Heads) * tiles.Keys;
        }

        /// <summary>The block's query head, over the batch.</summary>
        public int Head { get; }

        /// <summary>The block's first query within its head.</summary>
        public int FirstQuery { get; }

        /// <summary>Queries in the block.</summary>
        public int Queries { get; }

        /// <summary>The block's first row of the log-sum-exp and D.</summary>
        public long RowStart { get; }

        /// <summary>The block's first element of the query (and output) tensors.</summary>
        public long QueryStart { get; }

        /// <summary>The first element of the key and value tensors of the key/value head the block's head reads.</summary>
        public long KeyStart { get; }

        /// <summary>The sequence's first entry of the key padding mask.</summary>
        public long PaddingStart { get; }

        /// <summary>The first key any query of the block may see: the window's left edge of its first query.</summary>
        public int FirstVisibleKey(GpuAttentionSettings tiles) => tiles.FirstKey(FirstQuery);

        /// <summary>One past the last key any query of the block may see: the causal mask's or window's right edge of its last query.</summary>
        public int EndVisibleKey(GpuAttentionSettings tiles) => tiles.EndKey(FirstQuery + Queries - 1);
    }
}
