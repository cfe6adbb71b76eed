using System;
using System.ComponentModel;

namespace MultiMax.CompilerServices;

/// <summary>
/// The modulator σ of one <see cref="NormalizerAttribute"/> declaration as element-wise span kernels, emitted by
/// MultiMax.Generator for the fused operators (attention), whose tile loops are the same for every σ and live in
/// <see cref="AttentionRunner"/>.
/// </summary>
/// <typeparam name="T">The element type, <see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>Infrastructure for generated code: not meant to be implemented or called by hand.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IModulatorKernel<T>
    where T : unmanaged
{
    /// <summary>How many learnable parameters σ takes (0 when it has none).</summary>
    static abstract int ParameterCount { get; }

    /// <summary>Whether a learnable parameter σ reads is NaN: σ is then NaN wherever it is evaluated.</summary>
    static abstract bool IsPoisoned(ReadOnlySpan<T> parameters);

    /// <summary><c>sigma[i] = σ(s[i])</c> for finite scores; the two spans have the same length and may be the same.</summary>
    static abstract void Sigma(ReadOnlySpan<T> s, Span<T> sigma, ReadOnlySpan<T> parameters);

    /// <summary>
    /// Replaces each <c>gradient[i]</c> (gσ at the score <c>s[i]</c>) by <c>σ′(s[i])·gσ</c>, the gradient at the score,
    /// and <em>adds</em> <c>Σ gσ·∂σ/∂θ</c> for every parameter to <paramref name="parameterGradients"/>.
    /// </summary>
    static abstract void Derivative(ReadOnlySpan<T> s, Span<T> gradient, ReadOnlySpan<T> parameters, Span<double> parameterGradients);
}
