using System;
using ILGPU;
using ILGPU.Runtime;

namespace MultiMax.Gpu.Tests.Normalizers;

/// <summary>A generated GPU class's forward and backward on host arrays: copies in, runs both on the stream, copies out.</summary>
internal static class GpuRun
{
    public static (T[] Y, T[] Dx, T[] Gradients) ForwardAndBackward<T>(
        GpuDevice device, T[] x, T[] dy, T[] parameters, int rowLength,
        Action<AcceleratorStream, ArrayView<T>, ArrayView<T>, int, ArrayView<T>> forward,
        Action<AcceleratorStream, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, ArrayView<T>, ArrayView<T>> backward)
        where T : unmanaged
    {
        Accelerator accelerator = device.Accelerator;
        using MemoryBuffer1D<T, Stride1D.Dense> xView = accelerator.Allocate1D(x), dyView = accelerator.Allocate1D(dy);
        using MemoryBuffer1D<T, Stride1D.Dense> yView = accelerator.Allocate1D<T>(x.Length), dxView = accelerator.Allocate1D<T>(x.Length);
        using MemoryBuffer1D<T, Stride1D.Dense> p = accelerator.Allocate1D<T>(Math.Max(1, parameters.Length));
        using MemoryBuffer1D<T, Stride1D.Dense> gradients = accelerator.Allocate1D<T>(Math.Max(1, parameters.Length));
        p.View.SubView(0, parameters.Length).CopyFromCPU(parameters);
        forward(device.Stream, xView.View, yView.View, rowLength, p.View.SubView(0, parameters.Length));
        backward(device.Stream, xView.View, yView.View, dyView.View, dxView.View, rowLength, p.View.SubView(0, parameters.Length), gradients.View.SubView(0, parameters.Length));
        device.Stream.Synchronize();
        return (yView.GetAsArray1D(), dxView.GetAsArray1D(), gradients.View.SubView(0, parameters.Length).GetAsArray1D());
    }
}
