using System;
using System.Numerics;

namespace MultiMax;

/// <summary>
/// What a fused attention call masks and adds besides the scores themselves: key padding, a causal mask, a sliding
/// window and their alignment, an additive bias, per-head sinks and the scale. The default is none of them and the
/// scale 1/√headSize.
/// </summary>
/// <remarks>
/// Which keys query i sees: with a(i) = i (<see cref="CausalAlignment.TopLeft"/>) or i + keys − queries
/// (<see cref="CausalAlignment.BottomRight"/>), a causal mask keeps j ≤ a(i) and a window (Left, Right) keeps
/// a(i) − Left ≤ j ≤ a(i) + Right. Padding, causal mask, window and −∞ bias entries combine by intersection; a query
/// that sees no key gets output 0 (and, with a finite sink, log-sum-exp equal to the sink).
/// </remarks>
/// <typeparam name="T">The element type of the call.</typeparam>
public readonly ref struct AttentionOptions<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Empty, or [batch, keys] with true where a key is padding: it gets no weight, and its key and value rows are never read.</summary>
    public ReadOnlySpan<bool> KeyPaddingMask { get; init; }

    /// <summary>Whether query i sees only keys j ≤ a(i).</summary>
    public bool Causal { get; init; }

    /// <summary>Where query i sits among the keys for <see cref="Causal"/> and <see cref="Window"/>.</summary>
    public CausalAlignment Alignment { get; init; }

    /// <summary>
    /// A sliding window: query i sees keys a(i) − Left ≤ j ≤ a(i) + Right (FlashAttention's <c>window_size</c>); both
    /// non-negative. Null: no window. Tiles outside every query's window are skipped, so its cost grows with the window.
    /// </summary>
    public (int Left, int Right)? Window { get; init; }

    /// <summary>
    /// Empty, or a bias in the shape <see cref="BiasShape"/> added to every scaled score before σ:
    /// σ(scale·q·k + bias). A −∞ entry masks its score exactly.
    /// </summary>
    public ReadOnlySpan<T> Bias { get; init; }

    /// <summary>The extents of <see cref="Bias"/>; the default means [batch, heads, queries, keys].</summary>
    public AttentionBiasShape BiasShape { get; init; }

    /// <summary>
    /// Empty, or one logit per query head [heads] that joins every query's SoftMax denominator on σ's scale (never
    /// passed through σ) and carries no value: attention sinks.
    /// </summary>
    public ReadOnlySpan<T> Sinks { get; init; }

    /// <summary>The score scale; 1/√headSize when null.</summary>
    public T? Scale { get; init; }
}
