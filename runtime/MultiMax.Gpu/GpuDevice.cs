using System;
using System.Globalization;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using MultiMax.Gpu.CompilerServices;

namespace MultiMax.Gpu;

/// <summary>
/// An ILGPU context and accelerator to run generated <c>&lt;Name&gt;Gpu</c> kernels on: the first CUDA device when
/// there is one, else ILGPU's CPU accelerator (an emulator: correct, slow). Dispose it to release both.
/// </summary>
/// <example>
/// Host arrays in, host array out:
/// <code>
/// using var device = GpuDevice.Create();
/// float[] probabilities = device.Normalize(GpuNormalizers.MultiMax2Gpu.Forward, scores, rowLength, parameters);
/// </code>
/// Data that stays on the device:
/// <code>
/// using var x = device.Accelerator.Allocate1D(scores);
/// GpuNormalizers.SoftMaxGpu.Forward(device.Stream, x.View, x.View, rowLength);
/// </code>
/// </example>
public sealed class GpuDevice : IDisposable
{
    private GpuDevice(Context context, Accelerator accelerator)
    {
        Context = context;
        Accelerator = accelerator;
    }

    /// <summary>The ILGPU context, with the algorithms library enabled (the kernels use its XMath exp, log and max).</summary>
    public Context Context { get; }

    /// <summary>The accelerator the kernels run on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The accelerator's default stream.</summary>
    public AcceleratorStream Stream => Accelerator.DefaultStream;

    /// <summary>Whether this is a real GPU rather than the CPU emulator.</summary>
    public bool IsGpu => Accelerator.AcceleratorType != AcceleratorType.CPU;

    /// <summary>
    /// What the device is, for logs: the GPU's name, kind and memory (e.g. "NVIDIA H100 80GB HBM3 (Cuda, 79.1 GiB)"),
    /// or that it is ILGPU's CPU accelerator, which emulates a GPU.
    /// </summary>
    public override string ToString() =>
        IsGpu
            ? string.Create(CultureInfo.InvariantCulture, $"{Accelerator.Name} ({Accelerator.AcceleratorType}, {Accelerator.MemorySize / (1024.0 * 1024 * 1024):0.0} GiB)")
            : $"ILGPU CPU accelerator (a GPU emulated on the CPU: warps of {Accelerator.WarpSize}, up to {Accelerator.MaxNumThreadsPerGroup} threads per group)";

    /// <summary>
    /// The first CUDA device, or the CPU accelerator where there is none (or when <paramref name="preferCpu"/>).
    /// OpenCL is left out: the drivers on common Linux distributions lack the generic address space ILGPU needs.
    /// </summary>
    public static GpuDevice Create(bool preferCpu = false)
    {
        Context context = Context.Create(builder => builder.Cuda().CPU().EnableAlgorithms());
        try
        {
            Device device = context.GetPreferredDevice(preferCPU: preferCpu);
            return new GpuDevice(context, device.CreateAccelerator(context));
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>Whether ILGPU finds a CUDA device on this machine (what <see cref="Create"/> would pick).</summary>
    public static bool IsCudaAvailable()
    {
        using Context context = Context.Create(builder => builder.Cuda());
        return context.GetCudaDevices().Count > 0;
    }

    /// <summary>ILGPU's CPU accelerator with small groups: what the tests run the kernels on.</summary>
    public static GpuDevice CreateCpu()
    {
        Context context = Context.Create(builder => builder.CPU(CPUDeviceKind.Default).EnableAlgorithms());
        return new GpuDevice(context, context.CreateCPUAccelerator(0));
    }

    /// <summary>
    /// Copies <paramref name="x"/> to the device, runs <paramref name="forward"/> (a generated <c>&lt;Name&gt;Gpu.Forward</c>)
    /// on every row, and returns the result. For data that stays on the device, call the generated method on views.
    /// </summary>
    /// <exception cref="ArgumentException">A length is inconsistent (checked before anything is copied).</exception>
    public T[] Normalize<T>(GpuForward<T> forward, T[] x, int rowLength)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(x);
        if (GpuNormalizerRunner.CheckRows(x.Length, rowLength) == 0)
        {
            return []; // ILGPU cannot dispose an empty buffer cleanly: allocate none
        }

        using MemoryBuffer1D<T, Stride1D.Dense> data = Accelerator.Allocate1D(x);
        forward(Stream, data.View, data.View, rowLength);
        return data.GetAsArray1D(Stream);
    }

    /// <inheritdoc cref="Normalize{T}(GpuForward{T}, T[], int)"/>
    public T[] Normalize<T>(GpuForwardWithParameters<T> forward, T[] x, int rowLength, T[] parameters)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(parameters);
        if (GpuNormalizerRunner.CheckRows(x.Length, rowLength) == 0)
        {
            return [];
        }

        using MemoryBuffer1D<T, Stride1D.Dense> data = Accelerator.Allocate1D(x);
        using MemoryBuffer1D<T, Stride1D.Dense> learnable = Accelerator.Allocate1D(parameters);
        forward(Stream, data.View, data.View, rowLength, learnable.View);
        return data.GetAsArray1D(Stream);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }
}
