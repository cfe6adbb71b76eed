using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks;

namespace MultiMax.CompilerServices;

/// <summary>
/// One call of the fused output-layer loss, the same for every σ (<typeparamref name="TKernel"/> supplies σ and σ′):
/// tokens are taken a chunk at a time, and a chunk's logits and its turned hidden states are the only large buffers —
/// [vocab × chunk tokens] and [dim × chunk tokens], at most about <see cref="CrossEntropyRunner.ChunkBytes"/> each
/// (unless a single vector pair of tokens is larger) — never [tokens × vocab].
/// </summary>
/// <remarks>
/// Per chunk, with the logits held vocabulary-major (<c>zᵀ[v, j]</c>, so that per-token statistics are lane-wise
/// maxima and sums over rows, and every product reads its operands in their natural layout):
/// <list type="number">
/// <item>per block of 64 vocabulary rows: <c>zᵀ = W·hᵀ (+ b)</c>, σ, and per token the block's max of σ and sum of
/// exp(σ − max);</item>
/// <item>per token: the blocks' statistics combined in block order into <c>max</c> and <c>log Σ</c>, and the loss
/// <c>(max − σ(z_target)) + log Σ</c>, in that order so that a large max does not round log Σ away;</item>
/// <item>with gradients, per block again: σ recomputed, <c>gσ = w·(softmax(σ) − onehot(target))</c> with
/// <c>w = 1/count</c>, <c>dz = σ′(z)·gσ</c> with the parameter sums of the block in double, <c>dW[block] += dzᵀ·h</c>,
/// <c>db[block] += Σ dz</c>; each block's rows of dW belong to one thread;</item>
/// <item>per group of tokens: <c>dh = dz·W</c>, streamed over blocks of the vocabulary.</item>
/// </list>
/// The gradients are those of the mean loss, computed in the same pass as the loss because the upstream gradient of
/// a scalar loss only scales them: three products of tokens × vocab × dim in all, where recomputing the logits in a
/// separate backward would take five. Parameter sums are added block by block, in block order, chunk by chunk: the
/// same bits on every run, whatever the scheduling. A logit of −∞ (a bias that forbids a class) is masked: σ never
/// sees it, its probability is 0 and its gradient 0.
/// </remarks>
internal sealed unsafe class CrossEntropyPass<TKernel, T>
    where TKernel : IModulatorKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Vocabulary rows per block: a block's logits and its σ stay in L2 while they are worked on.</summary>
    private const int VocabularyBlock = 64;

    /// <summary>Vocabulary rows per step of <c>dh = dz·W</c>: the step's rows of W stay in L2 for every token of a group.</summary>
    private const int HiddenGradientStep = 256;

    /// <summary>Below this many multiply-adds (tokens × vocab × dim) a call stays on its thread.</summary>
    private const long ParallelThreshold = 1 << 22;

    private readonly CrossEntropyShape shape;
    private readonly T* hidden, weight, bias, parameters;
    private readonly long* targets;
    private readonly int parameterCount;
    private readonly long ignoreIndex;
    private readonly T* hiddenGradient, weightGradient, biasGradient;
    private readonly bool parallel;

    /// <summary>Tokens per chunk, a whole number of vector pairs; the last chunk's missing tokens are zero padding.</summary>
    private readonly int columns;
    private readonly int blocks;

    // The chunk's buffers, pinned: zᵀ (dzᵀ once the gradients are formed), hᵀ, and the per-token statistics.
    private readonly T[] logits, hiddenTransposed, blockMaximum, rowMaximum, logSum, tokenWeight;
    private readonly double[] blockSum, blockParameterSums, parameterTotals;
    private readonly int[] targetRow;
    private readonly bool[] targetMasked;
    private int first, count;

    public CrossEntropyPass(
        CrossEntropyShape shape, T* hidden, T* weight, T* bias, long* targets, long ignoreIndex, T* parameters, int parameterCount,
        bool withGradients, T* hiddenGradient, T* weightGradient, T* biasGradient)
    {
        WithGradients = withGradients;
        this.shape = shape;
        this.hidden = hidden;
        this.weight = weight;
        this.bias = bias;
        this.targets = targets;
        this.ignoreIndex = ignoreIndex;
        this.parameters = parameters;
        this.parameterCount = parameterCount;
        this.hiddenGradient = hiddenGradient;
        this.weightGradient = weightGradient;
        this.biasGradient = biasGradient;
        parallel = (long)shape.Tokens * shape.Vocab * shape.Dim >= ParallelThreshold;

        columns = CrossEntropyRunner.ChunkColumns<T>(shape);
        blocks = (shape.Vocab + VocabularyBlock - 1) / VocabularyBlock;
        logits = GC.AllocateUninitializedArray<T>(checked(shape.Vocab * columns), pinned: true);
        hiddenTransposed = GC.AllocateUninitializedArray<T>(shape.Dim * columns, pinned: true);
        blockMaximum = GC.AllocateUninitializedArray<T>(blocks * columns, pinned: true);
        blockSum = GC.AllocateUninitializedArray<double>(blocks * columns, pinned: true);
        rowMaximum = new T[columns];
        logSum = new T[columns];
        tokenWeight = new T[columns];
        targetRow = new int[columns];
        targetMasked = new bool[columns];
        blockParameterSums = new double[Math.Max(1, blocks * parameterCount)];
        parameterTotals = new double[parameterCount];
    }

    /// <summary>Whether the gradients are asked for (with a dim of 0 the hidden and weight gradients are empty, and their pointers null).</summary>
    private bool WithGradients { get; }

    private ReadOnlySpan<T> Parameters => new(parameters, parameterCount);

    private static int Width => Vector<T>.Count;

    /// <summary>
    /// The sum of the per-token losses over the tokens whose target is not ignored (<paramref name="counted"/> of them);
    /// with gradients, those of the mean loss are written, and <c>Σ gσ·∂σ/∂θ</c> per parameter into <paramref name="parameterSums"/>.
    /// </summary>
    public double Run(int counted, Span<double> parameterSums)
    {
        T weightPerToken = T.One / T.CreateTruncating(counted);
        if (WithGradients)
        {
            new Span<T>(weightGradient, checked((int)shape.WeightLength)).Clear();
            if (biasGradient is not null)
            {
                new Span<T>(biasGradient, shape.Vocab).Clear();
            }
        }

        double loss = 0;
        for (long start = 0; start < shape.Tokens; start += columns) // long: Tokens + columns may pass int.MaxValue
        {
            first = (int)start;
            LoadChunk(weightPerToken);
            ForEach(blocks, LogitsAndStatistics);
            loss += CombineStatistics();
            if (!WithGradients)
            {
                continue;
            }

            Array.Clear(blockParameterSums);
            ForEach(blocks, Gradients);
            for (int block = 0; block < blocks; block++)
            {
                for (int p = 0; p < parameterCount; p++)
                {
                    parameterTotals[p] += blockParameterSums[block * parameterCount + p];
                }
            }

            int groupSize = TokenGroupSize();
            ForEach((count + groupSize - 1) / groupSize, group => HiddenGradient(group, groupSize));
        }

        parameterTotals.CopyTo(parameterSums);
        return loss;
    }

    /// <summary>hᵀ of the chunk (zero past its last token), and each token's weight in the mean (0 when ignored) and target row.</summary>
    private void LoadChunk(T weightPerToken)
    {
        count = Math.Min(columns, shape.Tokens - first);
        TileMath.Transpose(ref hidden[(long)first * shape.Dim], shape.Dim, count, shape.Dim,
            ref MemoryMarshal.GetArrayDataReference(hiddenTransposed), columns, paddedRows: columns);
        for (int j = 0; j < columns; j++)
        {
            bool counted = j < count && targets[first + j] != ignoreIndex;
            tokenWeight[j] = counted ? weightPerToken : T.Zero;
            targetRow[j] = counted ? (int)targets[first + j] : -1;
        }
    }

    /// <summary>Step 1 for one block of vocabulary rows: the logits, σ, and per token the block's max of σ and sum of exp(σ − max).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void LogitsAndStatistics(int block, T[] scratch)
    {
        (int firstRow, int rows) = Rows(block);
        T* z = BlockLogits(firstRow);
        TileMath.Multiply(ref weight[(long)firstRow * shape.Dim], shape.Dim, 1, ref MemoryMarshal.GetArrayDataReference(hiddenTransposed), columns,
            ref *z, columns, rows, shape.Dim, columns, T.One, accumulate: false);
        if (bias is not null)
        {
            for (int row = 0; row < rows; row++)
            {
                var b = new Vector<T>(bias[firstRow + row]);
                for (int j = 0; j < columns; j += Width)
                {
                    T* at = z + row * columns + j;
                    (Vector.Load(at) + b).Store(at);
                }
            }
        }

        Span<T> sigma = scratch.AsSpan(0, rows * columns);
        TKernel.Sigma(new ReadOnlySpan<T>(z, rows * columns), sigma, Parameters);
        var negativeInfinity = new Vector<T>(T.NegativeInfinity);
        fixed (T* s = sigma)
        {
            for (int j = 0; j < columns; j += Width)
            {
                // Subtract the max of σ, not of z: σ is not monotone. A masked logit (−∞) gets σ = −∞, never σ(−∞).
                Vector<T> maximum = negativeInfinity;
                for (int row = 0; row < rows; row++)
                {
                    long at = row * columns + j;
                    Vector<T> value = Vector.ConditionalSelect(Vector.Equals(Vector.Load(z + at), negativeInfinity), negativeInfinity, Vector.Load(s + at));
                    value.Store(s + at);
                    maximum = Vector.Max(maximum, value);
                }

                Vector<T> sum = Vector<T>.Zero;
                for (int row = 0; row < rows; row++)
                {
                    Vector<T> value = Vector.Load(s + row * columns + j);
                    // exp(−∞ − (−∞)) is NaN: a masked entry adds exactly 0 (a NaN entry still poisons its token).
                    sum += Vector.ConditionalSelect(Vector.Equals(value, negativeInfinity), Vector<T>.Zero, TileMath.Exp(value - maximum));
                }

                maximum.StoreUnsafe(ref blockMaximum[block * columns + j]);
                for (int lane = 0; lane < Width; lane++)
                {
                    blockSum[block * columns + j + lane] = double.CreateTruncating(sum[lane]);
                }
            }
        }
    }

    /// <summary>Step 2: each token's max of σ and log Σ exp(σ − max) over the blocks in order, and the sum of the chunk's losses.</summary>
    private double CombineStatistics()
    {
        double loss = 0;
        for (int j = 0; j < count; j++)
        {
            if (targetRow[j] < 0)
            {
                continue; // ignored: no loss, and no gradient (its weight is 0)
            }

            T maximum = T.NegativeInfinity;
            for (int block = 0; block < blocks; block++)
            {
                maximum = T.Max(maximum, blockMaximum[block * columns + j]); // NaN-propagating
            }

            double sum = 0;
            for (int block = 0; block < blocks; block++)
            {
                double part = blockSum[block * columns + j];
                if (part != 0)
                {
                    sum += part * Math.Exp(double.CreateTruncating(blockMaximum[block * columns + j] - maximum));
                }
            }

            T z = logits[(long)targetRow[j] * columns + j], sigma = T.NegativeInfinity;
            targetMasked[j] = T.IsNegativeInfinity(z);
            if (!targetMasked[j])
            {
                TKernel.Sigma(new ReadOnlySpan<T>(in z), new Span<T>(ref sigma), Parameters);
            }

            double logSumValue = Math.Log(sum);
            loss += double.CreateTruncating(maximum) - double.CreateTruncating(sigma) + logSumValue;
            rowMaximum[j] = maximum;
            logSum[j] = T.CreateTruncating(logSumValue);
        }

        return loss;
    }

    /// <summary>Step 3 for one block: dz = σ′(z)·w·(softmax(σ) − onehot), its parameter sums, and the block's rows of dW and db.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Gradients(int block, T[] scratch)
    {
        (int firstRow, int rows) = Rows(block);
        T* z = BlockLogits(firstRow);
        Span<T> gradient = scratch.AsSpan(0, rows * columns);
        TKernel.Sigma(new ReadOnlySpan<T>(z, rows * columns), gradient, Parameters);
        var negativeInfinity = new Vector<T>(T.NegativeInfinity);
        fixed (T* g = gradient)
        {
            for (int j = 0; j < columns; j += Width)
            {
                var maximum = Vector.LoadUnsafe(ref rowMaximum[j]);
                var logSumValue = Vector.LoadUnsafe(ref logSum[j]);
                var w = Vector.LoadUnsafe(ref tokenWeight[j]);
                Vector<T> ignored = Vector.Equals(w, Vector<T>.Zero);
                for (int row = 0; row < rows; row++)
                {
                    long at = row * columns + j;
                    Vector<T> logit = Vector.Load(z + at);
                    // Masked entries and ignored tokens get gσ = 0 and the finite stand-in z = 0 for σ′, so that their
                    // gradients are exactly 0 however σ′ behaves at −∞.
                    Vector<T> excluded = Vector.Equals(logit, negativeInfinity) | ignored;
                    Vector<T> probability = TileMath.Exp(Vector.Load(g + at) - maximum - logSumValue);
                    Vector.ConditionalSelect(excluded, Vector<T>.Zero, probability * w).Store(g + at);
                    Vector.ConditionalSelect(excluded, Vector<T>.Zero, logit).Store(z + at);
                }
            }

            // The one-hot part of gσ, at each counted token's target (a masked target keeps gσ = 0).
            for (int j = 0; j < count; j++)
            {
                int row = targetRow[j] - firstRow;
                if ((uint)row < (uint)rows && !targetMasked[j])
                {
                    g[row * columns + j] -= tokenWeight[j];
                }
            }
        }

        TKernel.Derivative(new ReadOnlySpan<T>(z, rows * columns), gradient, Parameters,
            blockParameterSums.AsSpan(block * parameterCount, parameterCount));

        // dz replaces the block's logits, for dh = dz·W; this block's rows of dW and db are this thread's alone.
        gradient.CopyTo(new Span<T>(z, rows * columns));
        TileMath.Multiply(ref *z, columns, 1, ref hidden[(long)first * shape.Dim], shape.Dim,
            ref weightGradient[(long)firstRow * shape.Dim], shape.Dim, rows, count, shape.Dim, T.One, accumulate: true);
        if (biasGradient is not null)
        {
            for (int row = 0; row < rows; row++)
            {
                Vector<T> sum = Vector<T>.Zero;
                for (int j = 0; j < columns; j += Width)
                {
                    sum += Vector.Load(z + row * columns + j);
                }

                biasGradient[firstRow + row] += Vector.Sum(sum);
            }
        }
    }

    /// <summary>Step 4 for one group of the chunk's tokens: dh = dz·W, a step of vocabulary rows at a time.</summary>
    private void HiddenGradient(int group, int groupSize)
    {
        int firstToken = group * groupSize, tokens = Math.Min(groupSize, count - firstToken);
        ref T destination = ref hiddenGradient[(long)(first + firstToken) * shape.Dim];
        for (int firstRow = 0; firstRow < shape.Vocab; firstRow += HiddenGradientStep)
        {
            int rows = Math.Min(HiddenGradientStep, shape.Vocab - firstRow);
            TileMath.Multiply(ref logits[(long)firstRow * columns + firstToken], 1, columns, ref weight[(long)firstRow * shape.Dim], shape.Dim,
                ref destination, shape.Dim, tokens, rows, shape.Dim, T.One, accumulate: firstRow > 0);
        }
    }

    /// <summary>Tokens per group of step 4: the chunk split evenly over the cores, in whole register blocks of 4 rows.</summary>
    private int TokenGroupSize()
    {
        int groups = parallel ? Environment.ProcessorCount : 1;
        return Math.Max(4, ((count + groups - 1) / groups + 3) / 4 * 4);
    }

    private (int FirstRow, int Rows) Rows(int block)
    {
        int firstRow = block * VocabularyBlock;
        return (firstRow, Math.Min(VocabularyBlock, shape.Vocab - firstRow));
    }

    private T* BlockLogits(int firstRow) => (T*)Unsafe.AsPointer(ref logits[(long)firstRow * columns]);

    /// <summary>Runs <paramref name="work"/> for items 0 … <paramref name="items"/> − 1, each with a scratch block of its thread.</summary>
    private void ForEach(int items, Action<int, T[]> work)
    {
        if (!parallel || items == 1)
        {
            T[] scratch = new T[VocabularyBlock * columns];
            for (int item = 0; item < items; item++)
            {
                work(item, scratch);
            }

            return;
        }

        Parallel.For(0, items, () => new T[VocabularyBlock * columns], (item, _, scratch) =>
        {
            work(item, scratch);
            return scratch;
        }, _ => { });
    }

    /// <summary>Runs <paramref name="work"/> for items 0 … <paramref name="items"/> − 1, on every core when the pass is parallel.</summary>
    private void ForEach(int items, Action<int> work)
    {
        if (!parallel || items == 1)
        {
            for (int item = 0; item < items; item++)
            {
                work(item);
            }

            return;
        }

        Parallel.For(0, items, work);
    }
}
