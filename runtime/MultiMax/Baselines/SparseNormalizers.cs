using System;
using MultiMax.Baselines;
using MultiMax.CompilerServices;

namespace MultiMax;

/// <summary>
/// The sparse normalizers the MultiMax paper compares with, with the span API of the generated operators: row-major
/// <c>x</c> of <c>x.Length / rowLength</c> rows, the same argument checks before any write, the same masking
/// (−∞ entries get 0 and gradient 0; a fully masked row is all zeros; NaN or +∞ poisons its row only), in place
/// allowed, and large inputs split over the thread pool. Thresholds come from one sort per row, of only the entries
/// that can be in the support, computed in double in a buffer rented once per block of rows.
/// </summary>
public static class SparseNormalizers
{
    /// <summary>SparseMax (Martins &amp; Astudillo, 2016): the Euclidean projection of each row onto the probability simplex, <c>y = max(x − τ, 0)</c>. Sparse, and on inputs with one clear winner it keeps only that entry.</summary>
    /// <param name="x">The rows, row-major.</param>
    /// <param name="y">Receives the probabilities; may be <paramref name="x"/> itself.</param>
    /// <param name="rowLength">The number of entries in each row.</param>
    /// <exception cref="ArgumentException">A length or the row length is inconsistent, or <paramref name="y"/> overlaps <paramref name="x"/> at an offset; nothing is written then.</exception>
    public static void SparseMax(ReadOnlySpan<float> x, Span<float> y, int rowLength)
        => NormalizerRunner.Forward<SparseMaxKernel<float>, float>(x, y, rowLength, ReadOnlySpan<float>.Empty);

    /// <inheritdoc cref="SparseMax(ReadOnlySpan{float}, Span{float}, int)"/>
    public static void SparseMax(ReadOnlySpan<double> x, Span<double> y, int rowLength)
        => NormalizerRunner.Forward<SparseMaxKernel<double>, double>(x, y, rowLength, ReadOnlySpan<double>.Empty);

    /// <summary>The backward pass of <see cref="SparseMax(ReadOnlySpan{float}, Span{float}, int)"/>. On the support (<c>y &gt; 0</c>) <c>dx = dy − mean(dy over the support)</c>; elsewhere 0.</summary>
    /// <param name="x">The forward input.</param>
    /// <param name="y">The forward output for <paramref name="x"/>.</param>
    /// <param name="dy">The gradient of the loss with respect to <paramref name="y"/>.</param>
    /// <param name="dx">Receives the gradient with respect to <paramref name="x"/>.</param>
    /// <param name="rowLength">The number of entries in each row.</param>
    /// <exception cref="ArgumentException">A length or the row length is inconsistent, or <paramref name="dx"/> overlaps an input at an offset; nothing is written then.</exception>
    public static void SparseMaxBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rowLength)
        => NormalizerRunner.Backward<SparseMaxKernel<float>, float>(x, y, dy, dx, rowLength, ReadOnlySpan<float>.Empty, Span<float>.Empty);

    /// <inheritdoc cref="SparseMaxBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int)"/>
    public static void SparseMaxBackward(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> dy, Span<double> dx, int rowLength)
        => NormalizerRunner.Backward<SparseMaxKernel<double>, double>(x, y, dy, dx, rowLength, ReadOnlySpan<double>.Empty, Span<double>.Empty);

    /// <summary>1.5-EntMax (Peters, Niculae &amp; Martins, 2019) by the exact sort-based algorithm: <c>y = max(x/2 − τ, 0)²</c>. Between SoftMax (α = 1) and SparseMax (α = 2).</summary>
    /// <param name="x">The rows, row-major.</param>
    /// <param name="y">Receives the probabilities; may be <paramref name="x"/> itself.</param>
    /// <param name="rowLength">The number of entries in each row.</param>
    /// <exception cref="ArgumentException">A length or the row length is inconsistent, or <paramref name="y"/> overlaps <paramref name="x"/> at an offset; nothing is written then.</exception>
    public static void EntMax15(ReadOnlySpan<float> x, Span<float> y, int rowLength)
        => NormalizerRunner.Forward<EntMax15Kernel<float>, float>(x, y, rowLength, ReadOnlySpan<float>.Empty);

    /// <inheritdoc cref="EntMax15(ReadOnlySpan{float}, Span{float}, int)"/>
    public static void EntMax15(ReadOnlySpan<double> x, Span<double> y, int rowLength)
        => NormalizerRunner.Forward<EntMax15Kernel<double>, double>(x, y, rowLength, ReadOnlySpan<double>.Empty);

    /// <summary>The backward pass of <see cref="EntMax15(ReadOnlySpan{float}, Span{float}, int)"/>. With <c>s = √y</c>: <c>dx = s∘dy − s·(sᵀdy)/Σs</c>.</summary>
    /// <param name="x">The forward input.</param>
    /// <param name="y">The forward output for <paramref name="x"/>.</param>
    /// <param name="dy">The gradient of the loss with respect to <paramref name="y"/>.</param>
    /// <param name="dx">Receives the gradient with respect to <paramref name="x"/>.</param>
    /// <param name="rowLength">The number of entries in each row.</param>
    /// <exception cref="ArgumentException">A length or the row length is inconsistent, or <paramref name="dx"/> overlaps an input at an offset; nothing is written then.</exception>
    public static void EntMax15Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rowLength)
        => NormalizerRunner.Backward<EntMax15Kernel<float>, float>(x, y, dy, dx, rowLength, ReadOnlySpan<float>.Empty, Span<float>.Empty);

    /// <inheritdoc cref="EntMax15Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int)"/>
    public static void EntMax15Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> dy, Span<double> dx, int rowLength)
        => NormalizerRunner.Backward<EntMax15Kernel<double>, double>(x, y, dy, dx, rowLength, ReadOnlySpan<double>.Empty, Span<double>.Empty);

    /// <summary>EvSoftMax (Chen et al., 2021): SoftMax over the entries at or above the row's mean (of its unmasked entries), 0 below it.</summary>
    /// <param name="x">The rows, row-major.</param>
    /// <param name="y">Receives the probabilities; may be <paramref name="x"/> itself.</param>
    /// <param name="rowLength">The number of entries in each row.</param>
    /// <exception cref="ArgumentException">A length or the row length is inconsistent, or <paramref name="y"/> overlaps <paramref name="x"/> at an offset; nothing is written then.</exception>
    public static void EvSoftMax(ReadOnlySpan<float> x, Span<float> y, int rowLength)
        => NormalizerRunner.Forward<EvSoftMaxKernel<float>, float>(x, y, rowLength, ReadOnlySpan<float>.Empty);

    /// <inheritdoc cref="EvSoftMax(ReadOnlySpan{float}, Span{float}, int)"/>
    public static void EvSoftMax(ReadOnlySpan<double> x, Span<double> y, int rowLength)
        => NormalizerRunner.Forward<EvSoftMaxKernel<double>, double>(x, y, rowLength, ReadOnlySpan<double>.Empty);

    /// <summary>The backward pass of <see cref="EvSoftMax(ReadOnlySpan{float}, Span{float}, int)"/>. SoftMax's gradient on the support, <c>dx = y∘(dy − yᵀdy)</c>, exact wherever no entry sits on the mean.</summary>
    /// <param name="x">The forward input.</param>
    /// <param name="y">The forward output for <paramref name="x"/>.</param>
    /// <param name="dy">The gradient of the loss with respect to <paramref name="y"/>.</param>
    /// <param name="dx">Receives the gradient with respect to <paramref name="x"/>.</param>
    /// <param name="rowLength">The number of entries in each row.</param>
    /// <exception cref="ArgumentException">A length or the row length is inconsistent, or <paramref name="dx"/> overlaps an input at an offset; nothing is written then.</exception>
    public static void EvSoftMaxBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rowLength)
        => NormalizerRunner.Backward<EvSoftMaxKernel<float>, float>(x, y, dy, dx, rowLength, ReadOnlySpan<float>.Empty, Span<float>.Empty);

    /// <inheritdoc cref="EvSoftMaxBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int)"/>
    public static void EvSoftMaxBackward(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> dy, Span<double> dx, int rowLength)
        => NormalizerRunner.Backward<EvSoftMaxKernel<double>, double>(x, y, dy, dx, rowLength, ReadOnlySpan<double>.Empty, Span<double>.Empty);
}
