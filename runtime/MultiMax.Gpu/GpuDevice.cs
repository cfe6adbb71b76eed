using System;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace MultiMax.Gpu;

/// <summary>
/// An ILGPU context and accelerator to run generated <c>&lt;Name&gt;Gpu</c> kernels on: the first CUDA device when
/// there is one, else ILGPU's CPU accelerator (an emulator: correct, slow). Dispose it to release both.
/// </summary>
/// <example>
/// <code>
/// using var device = GpuDevice.Create();
/// using var scores = device.Accelerator.Allocate1D(hostScores);
/// GpuNormalizers.SoftMaxGpu.Forward(device.Stream, scores.View, scores.View, rowLength);
/// </code>
/// </example>
public sealed class GpuDevice : IDisposable
{
    private GpuDevice(Context context, Accelerator accelerator)
    {
        Context = context;
        Accelerator = accelerator;
    }

    /// <summary>The ILGPU context, with the algorithms library enabled (the kernels use its group reductions).</summary>
    public Context Context { get; }

    /// <summary>The accelerator the kernels run on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The accelerator's default stream.</summary>
    public AcceleratorStream Stream => Accelerator.DefaultStream;

    /// <summary>Whether this is a real GPU rather than the CPU emulator.</summary>
    public bool IsGpu => Accelerator.AcceleratorType != AcceleratorType.CPU;

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

    /// <summary>ILGPU's CPU accelerator with small groups: what the tests run the kernels on.</summary>
    public static GpuDevice CreateCpu()
    {
        Context context = Context.Create(builder => builder.CPU(CPUDeviceKind.Default).EnableAlgorithms());
        return new GpuDevice(context, context.CreateCPUAccelerator(0));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }
}
