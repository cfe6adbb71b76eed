using System;
using System.ComponentModel;
using System.Numerics;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// A declaration's fused output-layer loss on ILGPU, for every σ: the host methods that generated <c>&lt;Name&gt;Gpu</c>
/// classes call (the checks of <see cref="GpuCrossEntropyRunner"/> before any launch) and their three kernels:
/// per-token statistics, the class pass and the token pass. σ comes in as a <c>TModulator</c> struct
/// (<see cref="IGpuModulator{T}"/>). Tiles of hidden states and weight rows live in shared memory; nothing of size
/// tokens × vocab is ever allocated; no atomics, so every result has the same bits on every run.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GpuCrossEntropyKernels
{
    /// <summary>
    /// The mean, over the tokens whose target is not <paramref name="ignoreIndex"/>, of
    /// <c>−log SoftMax(σ(hidden·weightᵀ + bias))[target]</c>. Copies the targets to the host to check them, and waits
    /// for the stream.
    /// </summary>
    /// <exception cref="ArgumentException">A length does not fit the shape, or a target is neither a class nor the ignore index; nothing is launched then.</exception>
    public static double Loss<T, TElement, TModulator>(
        AcceleratorStream stream, ArrayView<T> hidden, ArrayView<T> weight, ArrayView<T> bias, ArrayView<long> targets, CrossEntropyShape shape,
        ArrayView<T> parameters, long ignoreIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T>
    {
        GpuCrossEntropySettings settings = GpuCrossEntropyRunner.CheckLoss(stream, hidden, weight, bias, targets, shape, parameters, TModulator.ParameterCount, ignoreIndex);
        if (settings.Counted == 0)
        {
            return 0; // the mean over no tokens
        }

        Accelerator accelerator = stream.Accelerator;
        var (statisticsLaunch, statisticsTiles) = GpuCrossEntropyRunner.Plan<T>(accelerator, settings, GpuCrossEntropyKernelKind.Statistics, TModulator.ParameterCount);
        using var scratch = new GpuCrossEntropyScratch<T>(accelerator, settings, 0, TModulator.ParameterCount);
        var statistics = LoadStatistics<T, TElement, TModulator>(accelerator);
        statistics(stream, statisticsLaunch, hidden, weight, bias, targets, parameters, scratch.RowMaxima, scratch.RowLogSums, scratch.Losses, statisticsTiles);
        return GpuCrossEntropyRunner.MeanLoss(stream, scratch, settings);
    }

    /// <summary>
    /// The loss of <see cref="Loss"/> and its gradients (those of the mean: multiply them by the upstream gradient of the
    /// loss); with σ's parameters, overwrites <paramref name="parameterGradients"/>. Waits for the stream.
    /// </summary>
    /// <exception cref="ArgumentException">A length does not fit the shape, a target is neither a class nor the ignore index, or an output overlaps an input or another output; nothing is launched then.</exception>
    public static double Backward<T, TElement, TModulator>(
        AcceleratorStream stream, ArrayView<T> hidden, ArrayView<T> weight, ArrayView<T> bias, ArrayView<long> targets, CrossEntropyShape shape,
        ArrayView<T> parameters, ArrayView<T> hiddenGradient, ArrayView<T> weightGradient, ArrayView<T> biasGradient, ArrayView<T> parameterGradients,
        long ignoreIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T>
    {
        GpuCrossEntropySettings settings = GpuCrossEntropyRunner.CheckLossAndGradients(
            stream, hidden, weight, bias, targets, shape, parameters, TModulator.ParameterCount, hiddenGradient, weightGradient, biasGradient, parameterGradients, ignoreIndex);
        if (settings.Counted == 0)
        {
            GpuCrossEntropyRunner.ClearGradients(stream, hiddenGradient, weightGradient, biasGradient, parameterGradients);
            return 0; // the mean over no tokens, and every gradient 0
        }

        Accelerator accelerator = stream.Accelerator;
        var (statisticsLaunch, statisticsTiles) = GpuCrossEntropyRunner.Plan<T>(accelerator, settings, GpuCrossEntropyKernelKind.Statistics, TModulator.ParameterCount);
        var (classLaunch, classTiles) = GpuCrossEntropyRunner.Plan<T>(accelerator, settings, GpuCrossEntropyKernelKind.Classes, TModulator.ParameterCount);
        var (tokenLaunch, tokenTiles) = GpuCrossEntropyRunner.Plan<T>(accelerator, settings, GpuCrossEntropyKernelKind.Tokens, TModulator.ParameterCount);

        // Three passes and no atomics: per token max σ and log Σ (and its loss); one group per block of classes for dW, db
        // and its share of the parameter sums; one group per block of tokens for dh. The same bits on every run. Every
        // kernel is compiled before the first launch: a failed compile writes nothing.
        var statistics = LoadStatistics<T, TElement, TModulator>(accelerator);
        var classes = GpuNormalizerRunner.Load(accelerator, ClassesKernel<T, TElement, TModulator>, static accelerator =>
            accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<long>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<double>, GpuCrossEntropySettings>(
                ClassesKernel<T, TElement, TModulator>));
        var tokens = GpuNormalizerRunner.Load(accelerator, TokensKernel<T, TElement, TModulator>, static accelerator =>
            accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<long>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuCrossEntropySettings>(
                TokensKernel<T, TElement, TModulator>));
        if (TModulator.ParameterCount > 0)
        {
            GpuNormalizerRunner.LoadSumPartials<T, TElement>(accelerator); // compiled now, launched last
        }

        using var scratch = new GpuCrossEntropyScratch<T>(accelerator, settings, classLaunch.GridDim.X, TModulator.ParameterCount);
        statistics(stream, statisticsLaunch, hidden, weight, bias, targets, parameters, scratch.RowMaxima, scratch.RowLogSums, scratch.Losses, statisticsTiles);
        classes(stream, classLaunch, hidden, weight, bias, targets, parameters, scratch.RowMaxima, scratch.RowLogSums, weightGradient, biasGradient, scratch.Partials, classTiles);
        tokens(stream, tokenLaunch, hidden, weight, bias, targets, parameters, scratch.RowMaxima, scratch.RowLogSums, hiddenGradient, tokenTiles);
        if (TModulator.ParameterCount > 0)
        {
            GpuNormalizerRunner.SumPartials<T, TElement>(stream, scratch.Partials, scratch.ClassGroups, parameterGradients);
        }

        return GpuCrossEntropyRunner.MeanLoss(stream, scratch, settings); // waits for the stream: the scratch is freed after
    }

    private static Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<long>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<double>, GpuCrossEntropySettings>
        LoadStatistics<T, TElement, TModulator>(Accelerator accelerator)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T> =>
        GpuNormalizerRunner.Load(accelerator, StatisticsKernel<T, TElement, TModulator>, static accelerator =>
            accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<long>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<double>, GpuCrossEntropySettings>(
                StatisticsKernel<T, TElement, TModulator>));

    /// <summary>
    /// One group per block of tokens, streaming tiles of weight rows: σ(z) of every (token, class), a running maximum m and
    /// sum l of exp(σ − m) per token (over σ, not z: σ need not be monotone), and σ at the target. Writes m, log l and the
    /// token's loss (m − σ(z_target)) + log l, in that order so that a large m does not round log l away.
    /// </summary>
    internal static void StatisticsKernel<T, TElement, TModulator>(
        ArrayView<T> hidden, ArrayView<T> weight, ArrayView<T> bias, ArrayView<long> targets, ArrayView<T> parameters,
        ArrayView<T> rowMaxima, ArrayView<T> rowLogSums, ArrayView<double> losses, GpuCrossEntropySettings tiles)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T>
    {
        int lane = Group.IdxX, lanes = Group.DimX, dim = tiles.Dim, block = tiles.Block, stride = GpuTiles.RowStride(dim);
        int firstToken = Grid.IdxX * block;
        int tokens = tiles.Tokens - firstToken < block ? tiles.Tokens - firstToken : block;
        TModulator modulator = default;
        modulator.Load(parameters);
        bool poisoned = modulator.IsPoisoned;

        // Shared: the block's hidden states, a tile of weight rows, σ of the tile; per token m, l, its target and σ there.
        var shared = SharedMemory.GetDynamic<T>();
        var hiddenTile = shared.SubView(0, block * stride);
        var weightTile = shared.SubView(block * stride, block * stride);
        var logits = shared.SubView(2 * block * stride, block * block);
        var rowMax = SharedMemory.Allocate<T>(GpuTiles.MaxBlock);
        var rowSum = SharedMemory.Allocate<double>(GpuTiles.MaxBlock);
        var targetSigma = SharedMemory.Allocate<T>(GpuTiles.MaxBlock);
        var rowTarget = SharedMemory.Allocate<long>(GpuTiles.MaxBlock);
        LoadRows(hiddenTile, hidden, firstToken, tokens, dim, stride);
        for (int i = lane; i < tokens; i += lanes)
        {
            rowMax[i] = T.NegativeInfinity;
            rowSum[i] = 0;
            targetSigma[i] = T.NegativeInfinity;
            rowTarget[i] = targets[firstToken + i];
        }

        for (int firstClass = 0; firstClass < tiles.Vocab; firstClass += block)
        {
            int classes = tiles.Vocab - firstClass < block ? tiles.Vocab - firstClass : block;
            Group.Barrier(); // every lane is done with the previous tile
            LoadRows(weightTile, weight, firstClass, classes, dim, stride);
            Group.Barrier();

            GpuTileProducts.Multiply(hiddenTile, weightTile, logits, dim, block, stride);
            // σ(z) of every (token, class) pair, z = h·w (+ b); a logit of −∞ (a forbidden class) is masked and never reaches σ.
            for (int e = lane; e < tokens * block; e += lanes)
            {
                int i = e / block, j = e - i * block, v = firstClass + j;
                T sigma = T.NegativeInfinity;
                if (j < classes)
                {
                    T z = Logit(logits[e], bias, v, tiles);
                    if (z != T.NegativeInfinity)
                    {
                        sigma = modulator.Sigma(z);
                    }

                    if (v == rowTarget[i])
                    {
                        targetSigma[i] = sigma;
                    }
                }

                logits[e] = sigma;
            }

            Group.Barrier();

            // One lane per token: the online max and sum over σ. A NaN σ (or a NaN parameter) keeps the max NaN explicitly,
            // since XMath.Max drops a NaN on CUDA.
            for (int i = lane; i < tokens; i += lanes)
            {
                T tileMax = T.NegativeInfinity;
                bool nan = T.IsNaN(rowMax[i]);
                for (int j = 0; j < classes; j++)
                {
                    nan |= T.IsNaN(logits[i * block + j]);
                    tileMax = TElement.Max(tileMax, logits[i * block + j]);
                }

                nan |= poisoned && tileMax != T.NegativeInfinity;
                T newMax = nan ? T.NaN : TElement.Max(rowMax[i], tileMax);
                if (newMax == T.NegativeInfinity)
                {
                    continue; // nothing visible yet
                }

                double tileSum = 0;
                for (int j = 0; j < classes; j++)
                {
                    tileSum += TElement.ToDouble(TElement.Exp(logits[i * block + j] - newMax));
                }

                rowSum[i] = rowSum[i] * TElement.ToDouble(TElement.Exp(rowMax[i] - newMax)) + tileSum;
                rowMax[i] = newMax;
            }
        }

        Group.Barrier();

        // Per token: m and log l for the gradient passes, and the loss (0 for an ignored token).
        for (int i = lane; i < tokens; i += lanes)
        {
            double logSum = XMath.Log(rowSum[i]);
            rowMaxima[firstToken + i] = rowMax[i];
            rowLogSums[firstToken + i] = TElement.FromDouble(logSum);
            losses[firstToken + i] = rowTarget[i] == tiles.IgnoreIndex ? 0 : TElement.ToDouble(rowMax[i]) - TElement.ToDouble(targetSigma[i]) + logSum;
        }
    }

    /// <summary>
    /// One group per block of classes, over every block of tokens: dz = σ′(z)·w·(P − onehot) recomputed per tile,
    /// dW += dzᵀ·h and db += Σ dz in shared memory, and this group's share of Σ gσ·∂σ/∂θ in its own slot of partials.
    /// </summary>
    internal static void ClassesKernel<T, TElement, TModulator>(
        ArrayView<T> hidden, ArrayView<T> weight, ArrayView<T> bias, ArrayView<long> targets, ArrayView<T> parameters,
        ArrayView<T> rowMaxima, ArrayView<T> rowLogSums, ArrayView<T> weightGradient, ArrayView<T> biasGradient, ArrayView<double> partials,
        GpuCrossEntropySettings tiles)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T>
    {
        int lane = Group.IdxX, lanes = Group.DimX, dim = tiles.Dim, block = tiles.Block, stride = GpuTiles.RowStride(dim);
        T tokenWeight = TokenWeight<T, TElement>(tiles);
        int firstClass = Grid.IdxX * block;
        int classes = tiles.Vocab - firstClass < block ? tiles.Vocab - firstClass : block;
        TModulator modulator = default;
        modulator.Load(parameters);
        bool poisoned = modulator.IsPoisoned;

        // Shared: the block's weight rows and their gradient, a tile of hidden states, dz of the tile; per token m, log l, target.
        var shared = SharedMemory.GetDynamic<T>();
        var weightTile = shared.SubView(0, block * stride);
        var weightGradientTile = shared.SubView(block * stride, block * stride);
        var hiddenTile = shared.SubView(2 * block * stride, block * stride);
        var gradients = shared.SubView(3 * block * stride, block * block);
        var rowMax = SharedMemory.Allocate<T>(GpuTiles.MaxBlock);
        var rowLogSum = SharedMemory.Allocate<T>(GpuTiles.MaxBlock);
        var rowTarget = SharedMemory.Allocate<long>(GpuTiles.MaxBlock);
        var biasGradientTile = SharedMemory.Allocate<T>(GpuTiles.MaxBlock);
        LoadRows(weightTile, weight, firstClass, classes, dim, stride);
        for (int e = lane; e < classes * dim; e += lanes)
        {
            weightGradientTile[e] = T.Zero;
        }

        for (int j = lane; j < classes; j += lanes)
        {
            biasGradientTile[j] = T.Zero;
        }

        for (int firstToken = 0; firstToken < tiles.Tokens; firstToken += block)
        {
            int tokens = tiles.Tokens - firstToken < block ? tiles.Tokens - firstToken : block;
            Group.Barrier(); // every lane is done with the previous block of tokens
            LoadRows(hiddenTile, hidden, firstToken, tokens, dim, stride);
            LoadTokenStatistics(rowMaxima, rowLogSums, targets, firstToken, tokens, rowMax, rowLogSum, rowTarget);
            Group.Barrier();

            LogitGradients<T, TElement, TModulator>(ref modulator, hiddenTile, weightTile, gradients, bias, tiles, rowMax, rowLogSum, rowTarget, tokenWeight, firstClass, classes, tokens, stride);
            Group.Barrier();

            // dW += dzᵀ·h; db += Σ dz, one lane per class.
            GpuTileProducts.Accumulate(weightGradientTile, gradients, transposed: true, hiddenTile, classes, tokens, dim, block, stride);
            for (int j = lane; j < classes; j += lanes)
            {
                T sum = T.Zero;
                for (int i = 0; i < tokens; i++)
                {
                    sum += gradients[i * block + j];
                }

                biasGradientTile[j] += sum;
            }
        }

        Group.Barrier();
        // A NaN parameter σ reads makes every gradient NaN, as autograd of the formula does.
        for (int e = lane; e < classes * dim; e += lanes)
        {
            weightGradient[(long)firstClass * dim + e] = poisoned ? T.NaN : weightGradientTile[e];
        }

        if (tiles.HasBias != 0)
        {
            for (int j = lane; j < classes; j += lanes)
            {
                biasGradient[firstClass + j] = poisoned ? T.NaN : biasGradientTile[j];
            }
        }

        if (TModulator.ParameterCount > 0)
        {
            modulator.WriteFusedParameterSums(partials, Grid.IdxX);
        }
    }

    /// <summary>
    /// One group per block of tokens, over every tile of classes: dz recomputed per tile and dh += dz·W in shared memory.
    /// Written by one group per row, so no atomics: the same bits on every run.
    /// </summary>
    internal static void TokensKernel<T, TElement, TModulator>(
        ArrayView<T> hidden, ArrayView<T> weight, ArrayView<T> bias, ArrayView<long> targets, ArrayView<T> parameters,
        ArrayView<T> rowMaxima, ArrayView<T> rowLogSums, ArrayView<T> hiddenGradient, GpuCrossEntropySettings tiles)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T>
    {
        int lane = Group.IdxX, lanes = Group.DimX, dim = tiles.Dim, block = tiles.Block, stride = GpuTiles.RowStride(dim);
        T tokenWeight = TokenWeight<T, TElement>(tiles);
        int firstToken = Grid.IdxX * block;
        int tokens = tiles.Tokens - firstToken < block ? tiles.Tokens - firstToken : block;
        TModulator modulator = default;
        modulator.Load(parameters);
        bool poisoned = modulator.IsPoisoned;

        // Shared: the block's hidden states and their gradient, a tile of weight rows, dz of the tile; per token m, log l, target.
        var shared = SharedMemory.GetDynamic<T>();
        var hiddenTile = shared.SubView(0, block * stride);
        var hiddenGradientTile = shared.SubView(block * stride, block * stride);
        var weightTile = shared.SubView(2 * block * stride, block * stride);
        var gradients = shared.SubView(3 * block * stride, block * block);
        var rowMax = SharedMemory.Allocate<T>(GpuTiles.MaxBlock);
        var rowLogSum = SharedMemory.Allocate<T>(GpuTiles.MaxBlock);
        var rowTarget = SharedMemory.Allocate<long>(GpuTiles.MaxBlock);
        LoadRows(hiddenTile, hidden, firstToken, tokens, dim, stride);
        for (int e = lane; e < tokens * dim; e += lanes)
        {
            hiddenGradientTile[e] = T.Zero;
        }

        LoadTokenStatistics(rowMaxima, rowLogSums, targets, firstToken, tokens, rowMax, rowLogSum, rowTarget);
        for (int firstClass = 0; firstClass < tiles.Vocab; firstClass += block)
        {
            int classes = tiles.Vocab - firstClass < block ? tiles.Vocab - firstClass : block;
            Group.Barrier(); // every lane is done with the previous tile
            LoadRows(weightTile, weight, firstClass, classes, dim, stride);
            Group.Barrier();

            // The parameter sums are the class pass's: here they are left unused.
            LogitGradients<T, TElement, TModulator>(ref modulator, hiddenTile, weightTile, gradients, bias, tiles, rowMax, rowLogSum, rowTarget, tokenWeight, firstClass, classes, tokens, stride);
            Group.Barrier();

            // dh += dz·W.
            GpuTileProducts.Accumulate(hiddenGradientTile, gradients, transposed: false, weightTile, tokens, classes, dim, block, stride);
        }

        Group.Barrier();
        for (int e = lane; e < tokens * dim; e += lanes)
        {
            hiddenGradient[(long)firstToken * dim + e] = poisoned ? T.NaN : hiddenGradientTile[e];
        }
    }

    /// <summary>Each counted token's weight in the mean.</summary>
    private static T TokenWeight<T, TElement>(GpuCrossEntropySettings tiles)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T> =>
        T.One / TElement.FromDouble(tiles.Counted);

    /// <summary>z = h·w (+ b) of class <paramref name="v"/>, from the product h·w.</summary>
    private static T Logit<T>(T product, ArrayView<T> bias, int v, GpuCrossEntropySettings tiles)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        tiles.HasBias != 0 ? product + bias[v] : product;

    /// <summary>Loads rows [first, first + count) of a [rows, dim] view into a padded tile.</summary>
    private static void LoadRows<T>(ArrayView<T> tile, ArrayView<T> source, int first, int count, int dim, int stride)
        where T : unmanaged
    {
        for (int e = Group.IdxX; e < count * dim; e += Group.DimX)
        {
            tile[e + e / dim * (stride - dim)] = source[(long)first * dim + e];
        }
    }

    /// <summary>Loads a block of tokens' max σ, log Σ and target into static shared memory.</summary>
    private static void LoadTokenStatistics<T>(
        ArrayView<T> rowMaxima, ArrayView<T> rowLogSums, ArrayView<long> targets, int firstToken, int tokens,
        ArrayView<T> rowMax, ArrayView<T> rowLogSum, ArrayView<long> rowTarget)
        where T : unmanaged
    {
        for (int i = Group.IdxX; i < tokens; i += Group.DimX)
        {
            rowMax[i] = rowMaxima[firstToken + i];
            rowLogSum[i] = rowLogSums[firstToken + i];
            rowTarget[i] = targets[firstToken + i];
        }
    }

    /// <summary>
    /// dz = σ′(z)·gσ of every (token, class) pair of the tile, in place of h·w in <paramref name="gradients"/>: gσ =
    /// w·(P − [class = target]) with P = exp(σ − m − log l); a masked logit or an ignored token gets 0. The parameter
    /// shares go to <paramref name="modulator"/>'s sums.
    /// </summary>
    private static void LogitGradients<T, TElement, TModulator>(
        ref TModulator modulator, ArrayView<T> hiddenTile, ArrayView<T> weightTile, ArrayView<T> gradients, ArrayView<T> bias, GpuCrossEntropySettings tiles,
        ArrayView<T> rowMax, ArrayView<T> rowLogSum, ArrayView<long> rowTarget, T tokenWeight, int firstClass, int classes, int tokens, int stride)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
        where TModulator : struct, IGpuModulator<T>
    {
        int block = tiles.Block;
        GpuTileProducts.Multiply(hiddenTile, weightTile, gradients, tiles.Dim, block, stride);
        for (int e = Group.IdxX; e < tokens * block; e += Group.DimX)
        {
            int i = e / block, j = e - i * block, v = firstClass + j;
            T gradient = T.Zero;
            if (j < classes && rowTarget[i] != tiles.IgnoreIndex)
            {
                T z = Logit(gradients[e], bias, v, tiles);
                if (z != T.NegativeInfinity)
                {
                    T probability = TElement.Exp(modulator.Sigma(z) - rowMax[i] - rowLogSum[i]);
                    T gs = tokenWeight * (v == rowTarget[i] ? probability - T.One : probability);
                    gradient = modulator.FusedGradient(z, gs);
                }
            }

            gradients[e] = gradient;
        }
    }
}
