using System.Numerics;
using ILGPU;

namespace MultiMax.Gpu;

/// <summary>
/// What a GPU fused attention call masks and adds besides the scores themselves, as <see cref="AttentionOptions{T}"/>
/// says it for the span operators: key padding, a causal mask, a sliding window and their alignment, an additive bias,
/// per-head sinks and the scale. The default is none of them and the scale 1/√headSize. Grouped-query heads are the shape's (<see cref="AttentionShape.KeyValueHeads"/>).
/// </summary>
/// <remarks>
/// Which keys query i sees: with a(i) = i (<see cref="CausalAlignment.TopLeft"/>) or i + keys − queries
/// (<see cref="CausalAlignment.BottomRight"/>), a causal mask keeps j ≤ a(i) and a window (Left, Right) keeps
/// a(i) − Left ≤ j ≤ a(i) + Right. Padding, causal mask and window combine by intersection; a query that sees no key
/// gets output 0 and zero gradients.
/// </remarks>
/// <typeparam name="T">The element type of the call.</typeparam>
public readonly struct GpuAttentionOptions<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// Empty, or [batch, keys] with a nonzero byte (ILGPU views hold no <c>bool</c>) where a key is padding: it gets no
    /// weight, and a NaN in its key and value rows reaches nothing.
    /// </summary>
    public ArrayView<byte> KeyPaddingMask { get; init; }

    /// <summary>Whether query i sees only keys j ≤ a(i).</summary>
    public bool Causal { get; init; }

    /// <summary>Where query i sits among the keys for <see cref="Causal"/> and <see cref="Window"/>.</summary>
    public CausalAlignment Alignment { get; init; }

    /// <summary>
    /// A sliding window: query i sees keys a(i) − Left ≤ j ≤ a(i) + Right; both non-negative. Null: no window. Tiles
    /// outside every query's window are skipped, so its cost grows with the window.
    /// </summary>
    public (int Left, int Right)? Window { get; init; }

    /// <summary>
    /// Empty, or a bias in the shape <see cref="BiasShape"/> added to every scaled score before σ: σ(scale·q·k + bias).
    /// A −∞ entry masks its score exactly.
    /// </summary>
    public ArrayView<T> Bias { get; init; }

    /// <summary>The extents of <see cref="Bias"/>, each 1 (broadcast) or the call's; the default means [batch, heads, queries, keys].</summary>
    public AttentionBiasShape BiasShape { get; init; }

    /// <summary>
    /// Empty, or one logit per query head [heads] that joins every query's SoftMax denominator on σ's scale (never
    /// passed through σ) and carries no value: attention sinks. A query that sees no key then gets log-sum-exp = its sink.
    /// </summary>
    public ArrayView<T> Sinks { get; init; }

    /// <summary>The score scale; 1/√headSize when null.</summary>
    public T? Scale { get; init; }
}
