using System;
using System.ComponentModel;
using System.Numerics;

namespace MultiMax.CompilerServices;

/// <summary>
/// Rows shorter than one <see cref="Vector{T}"/>, run through a generated kernel one at a time, each padded to a whole
/// vector with masked entries (x = −∞), which get probability 0, log-probability −∞ and gradient 0 and reach no sum.
/// So every generated kernel works in whole vectors only: it has no scalar loops, and no calls inside it around which
/// the JIT would spill its vector registers.
/// </summary>
/// <remarks>Infrastructure for generated code: the kernels' <c>Forward</c> and <c>Backward</c> call it.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ShortRows
{
    /// <summary><see cref="INormalizerKernel{T}.Forward"/> for rows of fewer than <see cref="Vector{T}.Count"/> entries.</summary>
    public static void Forward<TKernel, T>(ReadOnlySpan<T> x, Span<T> y, int rowLength, ReadOnlySpan<T> parameters)
        where TKernel : INormalizerKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count;
        Span<T> paddedX = stackalloc T[width], paddedY = stackalloc T[width];
        paddedX[rowLength..].Fill(T.NegativeInfinity);
        for (int rowStart = 0; rowStart < x.Length; rowStart += rowLength)
        {
            x.Slice(rowStart, rowLength).CopyTo(paddedX);
            TKernel.Forward(paddedX, paddedY, width, parameters);
            paddedY[..rowLength].CopyTo(y.Slice(rowStart, rowLength));
        }
    }

    /// <summary>
    /// <see cref="INormalizerKernel{T}.Backward"/> for rows of fewer than <see cref="Vector{T}.Count"/> entries: the
    /// padding's y and dy are 0, which a masked entry never reads.
    /// </summary>
    public static void Backward<TKernel, T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int rowLength,
        ReadOnlySpan<T> parameters, Span<double> parameterGradients)
        where TKernel : INormalizerKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count;
        if (x.IsEmpty)
        {
            // No rows still reach the kernel: a NaN parameter makes its gradients NaN with or without rows.
            TKernel.Backward(x, y, dy, dx, width, parameters, parameterGradients);
            return;
        }

        Span<T> paddedX = stackalloc T[width], paddedY = stackalloc T[width], paddedDy = stackalloc T[width], paddedDx = stackalloc T[width];
        paddedX[rowLength..].Fill(T.NegativeInfinity);
        paddedY.Clear();
        paddedDy.Clear();
        for (int rowStart = 0; rowStart < x.Length; rowStart += rowLength)
        {
            x.Slice(rowStart, rowLength).CopyTo(paddedX);
            y.Slice(rowStart, rowLength).CopyTo(paddedY);
            dy.Slice(rowStart, rowLength).CopyTo(paddedDy);
            TKernel.Backward(paddedX, paddedY, paddedDy, paddedDx, width, parameters, parameterGradients);
            paddedDx[..rowLength].CopyTo(dx.Slice(rowStart, rowLength));
        }
    }
}
