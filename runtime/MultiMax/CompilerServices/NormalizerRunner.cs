using System;
using System.Buffers;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

namespace MultiMax.CompilerServices;

/// <summary>
/// Runs a generated <see cref="INormalizerKernel{T}"/>: checks every argument before the first write, then calls
/// the kernel on the calling thread for small matrices, or on blocks of rows across the thread pool for large ones.
/// </summary>
/// <remarks>
/// Infrastructure for generated code. It lives here, not in the generated files, because it is the same for every
/// normalizer, and because crossing threads with span data needs a pinned pointer, which generated code avoids so
/// that consumers need not enable unsafe code.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class NormalizerRunner
{
    /// <summary>Validates the arguments, then normalizes every row of <paramref name="x"/> into <paramref name="y"/>.</summary>
    public static void Forward<TKernel, T>(
        ReadOnlySpan<T> x, Span<T> y, int rowLength, ReadOnlySpan<T> parameters,
        [CallerArgumentExpression(nameof(x))] string xName = "x",
        [CallerArgumentExpression(nameof(y))] string yName = "y",
        [CallerArgumentExpression(nameof(rowLength))] string rowLengthName = "rowLength",
        [CallerArgumentExpression(nameof(parameters))] string parametersName = "parameters")
        where TKernel : INormalizerKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        NormalizerArguments.CheckRows(x.Length, rowLength, xName, rowLengthName);
        NormalizerArguments.CheckSameLength(x.Length, y.Length, xName, yName);
        NormalizerArguments.CheckParameterCount(TKernel.ParameterCount, parameters.Length, parametersName);
        NormalizerArguments.CheckNoPartialOverlap(x, y, xName, yName);
        NormalizerArguments.CheckNoOverlap(parameters, y, parametersName, yName);

        int rows = x.Length / rowLength;
        int blocks = RowBlocks.Count(rows, rowLength);
        if (blocks == 1)
        {
            TKernel.Forward(x, y, rowLength, parameters);
            return;
        }

        ForwardInParallel<TKernel, T>(x, y, rowLength, parameters, rows, blocks);
    }

    /// <summary>
    /// Validates the arguments, then writes the input gradient <paramref name="dx"/> of every row and overwrites
    /// <paramref name="parameterGradients"/> with the parameter gradients summed over all rows.
    /// </summary>
    public static void Backward<TKernel, T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int rowLength,
        ReadOnlySpan<T> parameters, Span<T> parameterGradients,
        [CallerArgumentExpression(nameof(x))] string xName = "x",
        [CallerArgumentExpression(nameof(y))] string yName = "y",
        [CallerArgumentExpression(nameof(dy))] string dyName = "dy",
        [CallerArgumentExpression(nameof(dx))] string dxName = "dx",
        [CallerArgumentExpression(nameof(rowLength))] string rowLengthName = "rowLength",
        [CallerArgumentExpression(nameof(parameters))] string parametersName = "parameters",
        [CallerArgumentExpression(nameof(parameterGradients))] string parameterGradientsName = "parameterGradients")
        where TKernel : INormalizerKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        NormalizerArguments.CheckRows(x.Length, rowLength, xName, rowLengthName);
        NormalizerArguments.CheckSameLength(x.Length, y.Length, xName, yName);
        NormalizerArguments.CheckSameLength(x.Length, dy.Length, xName, dyName);
        NormalizerArguments.CheckSameLength(x.Length, dx.Length, xName, dxName);
        NormalizerArguments.CheckParameterCount(TKernel.ParameterCount, parameters.Length, parametersName);
        NormalizerArguments.CheckParameterCount(TKernel.ParameterCount, parameterGradients.Length, parameterGradientsName);
        NormalizerArguments.CheckNoPartialOverlap(x, dx, xName, dxName);
        NormalizerArguments.CheckNoPartialOverlap(y, dx, yName, dxName);
        NormalizerArguments.CheckNoPartialOverlap(dy, dx, dyName, dxName);
        NormalizerArguments.CheckNoOverlap(parameters, dx, parametersName, dxName);
        NormalizerArguments.CheckNoOverlap(x, parameterGradients, xName, parameterGradientsName);
        NormalizerArguments.CheckNoOverlap(y, parameterGradients, yName, parameterGradientsName);
        NormalizerArguments.CheckNoOverlap(dy, parameterGradients, dyName, parameterGradientsName);
        NormalizerArguments.CheckNoOverlap<T>(dx, parameterGradients, dxName, parameterGradientsName);
        NormalizerArguments.CheckNoOverlap(parameters, parameterGradients, parametersName, parameterGradientsName);

        int parameterCount = TKernel.ParameterCount;
        int rows = x.Length / rowLength;
        int blocks = RowBlocks.Count(rows, rowLength);

        // Gradients are summed in double per block, then over the blocks in order, then rounded once to T.
        double[]? rented = null;
        Span<double> sums = parameterCount * blocks <= 256
            ? stackalloc double[256]
            : (rented = ArrayPool<double>.Shared.Rent(parameterCount * blocks));
        sums = sums[..(parameterCount * blocks)];
        sums.Clear();

        if (blocks == 1)
        {
            TKernel.Backward(x, y, dy, dx, rowLength, parameters, sums);
        }
        else
        {
            BackwardInParallel<TKernel, T>(x, y, dy, dx, rowLength, parameters, sums, rows, blocks);
        }

        for (int p = 0; p < parameterCount; p++)
        {
            double total = 0;
            for (int block = 0; block < blocks; block++)
            {
                total += sums[block * parameterCount + p];
            }

            parameterGradients[p] = T.CreateTruncating(total);
        }

        if (rented is not null)
        {
            ArrayPool<double>.Shared.Return(rented);
        }
    }

    // The parallel paths live in methods of their own: a lambda's closure is allocated on entry to the method that
    // declares what it captures, and the single-threaded path must not pay for it.
    private static void ForwardInParallel<TKernel, T>(
        ReadOnlySpan<T> x, Span<T> y, int rowLength, ReadOnlySpan<T> parameters, int rows, int blocks)
        where TKernel : INormalizerKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* xPointer = x, yPointer = y, parametersPointer = parameters)
        {
            // Addresses cross into the workers as integers: the spans stay pinned until Parallel.For returns.
            nint xAddress = (nint)xPointer, yAddress = (nint)yPointer, parametersAddress = (nint)parametersPointer;
            int parameterCount = parameters.Length;
            Parallel.For(0, blocks, block =>
            {
                (int firstRow, int rowCount) = RowBlocks.Range(block, blocks, rows);
                int start = firstRow * rowLength, length = rowCount * rowLength;
                TKernel.Forward(
                    new ReadOnlySpan<T>((T*)xAddress + start, length),
                    new Span<T>((T*)yAddress + start, length),
                    rowLength,
                    new ReadOnlySpan<T>((T*)parametersAddress, parameterCount));
            });
        }
    }

    /// <summary>Block <c>b</c> adds its parameter gradients to <c>sums[b·P .. (b+1)·P)</c>.</summary>
    private static void BackwardInParallel<TKernel, T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int rowLength,
        ReadOnlySpan<T> parameters, Span<double> sums, int rows, int blocks)
        where TKernel : INormalizerKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parameterCount = parameters.Length;
        fixed (T* xPointer = x, yPointer = y, dyPointer = dy, dxPointer = dx, parametersPointer = parameters)
        fixed (double* sumsPointer = sums)
        {
            nint xAddress = (nint)xPointer, yAddress = (nint)yPointer, dyAddress = (nint)dyPointer;
            nint dxAddress = (nint)dxPointer, parametersAddress = (nint)parametersPointer, sumsAddress = (nint)sumsPointer;
            Parallel.For(0, blocks, block =>
            {
                (int firstRow, int rowCount) = RowBlocks.Range(block, blocks, rows);
                int start = firstRow * rowLength, length = rowCount * rowLength;
                TKernel.Backward(
                    new ReadOnlySpan<T>((T*)xAddress + start, length),
                    new ReadOnlySpan<T>((T*)yAddress + start, length),
                    new ReadOnlySpan<T>((T*)dyAddress + start, length),
                    new Span<T>((T*)dxAddress + start, length),
                    rowLength,
                    new ReadOnlySpan<T>((T*)parametersAddress, parameterCount),
                    new Span<double>((double*)sumsAddress + block * parameterCount, parameterCount));
            });
        }
    }
}
