namespace MultiMax;

/// <summary>
/// The shape of one fused output-layer loss: <c>hidden</c> and its gradient are <c>[Tokens, Dim]</c>, <c>weight</c>
/// and its gradient <c>[Vocab, Dim]</c>, all row-major; <c>bias</c> (optional) is <c>[Vocab]</c> and <c>targets</c>
/// <c>[Tokens]</c>. The logits <c>hidden·weightᵀ + bias</c> would be <c>[Tokens, Vocab]</c>; the fused loss never holds them.
/// </summary>
/// <param name="Tokens">The number of tokens (0 is allowed: the loss is then 0).</param>
/// <param name="Dim">
/// The length of each hidden state and of each row of the weight, at most <see cref="MaxDim"/> (0 is allowed: every
/// logit is then the bias, or 0).
/// </param>
/// <param name="Vocab">The number of classes (at least 1).</param>
public readonly record struct CrossEntropyShape(int Tokens, int Dim, int Vocab)
{
    /// <summary>
    /// The largest dim the fused kernels take (1 Mi; models use a few thousand): a chunk's hidden states then fit one
    /// array. The Torch operator runs larger ones on its materialized path.
    /// </summary>
    public const int MaxDim = 1 << 20;

    /// <summary>Entries of <c>hidden</c> and its gradient.</summary>
    public long HiddenLength => (long)Tokens * Dim;

    /// <summary>Entries of <c>weight</c> and its gradient.</summary>
    public long WeightLength => (long)Vocab * Dim;
}
