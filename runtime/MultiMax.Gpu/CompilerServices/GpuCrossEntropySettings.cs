using System.ComponentModel;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// What a fused-loss kernel (<see cref="GpuCrossEntropyKernels"/>) is told about its call, passed by value: the shape, the settings, the weight of
/// each counted token in the mean, and the tile size chosen for its pass (<see cref="GpuCrossEntropyRunner.Plan{T}"/>).
/// Tiles are square: <see cref="Block"/> tokens by <see cref="Block"/> classes.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct GpuCrossEntropySettings
{
    /// <summary>The settings of one call, with the tile size of one pass.</summary>
    public GpuCrossEntropySettings(CrossEntropyShape shape, bool hasBias, long ignoreIndex, int counted, int block)
    {
        Tokens = shape.Tokens;
        Dim = shape.Dim;
        Vocab = shape.Vocab;
        HasBias = hasBias ? 1 : 0;
        IgnoreIndex = ignoreIndex;
        Counted = counted;
        Block = block;
    }

    /// <summary>Tokens: rows of the hidden states.</summary>
    public readonly int Tokens;

    /// <summary>The length of each hidden state and weight row.</summary>
    public readonly int Dim;

    /// <summary>Classes: rows of the weight.</summary>
    public readonly int Vocab;

    /// <summary>1 when a bias is given.</summary>
    public readonly int HasBias;

    /// <summary>A target that leaves its token out.</summary>
    public readonly long IgnoreIndex;

    /// <summary>Tokens whose target is not <see cref="IgnoreIndex"/>: each has weight 1/Counted in the mean loss.</summary>
    public readonly int Counted;

    /// <summary>Tokens and classes per tile.</summary>
    public readonly int Block;

    /// <summary>Blocks of tokens: the groups of a pass that walks token blocks.</summary>
    public int TokenBlocks => (int)(((long)Tokens + Block - 1) / Block);

    /// <summary>Blocks of classes: the groups of the pass that writes the weight gradient.</summary>
    public int ClassBlocks => (int)(((long)Vocab + Block - 1) / Block);

    internal GpuCrossEntropySettings WithBlock(int block) =>
        new(new CrossEntropyShape(Tokens, Dim, Vocab), HasBias != 0, IgnoreIndex, Counted, block);
}
