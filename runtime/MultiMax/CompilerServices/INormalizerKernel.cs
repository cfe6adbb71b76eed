using System;
using System.ComponentModel;

namespace MultiMax.CompilerServices;

/// <summary>
/// The fused row kernels that MultiMax.Generator emits for one <see cref="NormalizerAttribute"/> declaration.
/// Generated code implements it on a file-local struct; <see cref="NormalizerRunner"/> validates the arguments
/// and calls it on blocks of whole rows, in parallel when the work is large enough.
/// </summary>
/// <typeparam name="T">The element type, <see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>Infrastructure for generated code: not meant to be implemented or called by hand.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface INormalizerKernel<T>
    where T : unmanaged
{
    /// <summary>How many learnable parameters the normalizer takes (0 when it has none).</summary>
    static abstract int ParameterCount { get; }

    /// <summary>Normalizes every row of <paramref name="x"/> into <paramref name="y"/>; arguments are already validated.</summary>
    static abstract void Forward(ReadOnlySpan<T> x, Span<T> y, int rowLength, ReadOnlySpan<T> parameters);

    /// <summary>
    /// Writes the input gradient of every row into <paramref name="dx"/> and <em>adds</em> the parameter gradients,
    /// summed over the rows, to <paramref name="parameterGradients"/>; arguments are already validated.
    /// </summary>
    static abstract void Backward(
        ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int rowLength,
        ReadOnlySpan<T> parameters, Span<double> parameterGradients);
}
