using System;

namespace MultiMax.Gpu.Tests.Support;

/// <summary>
/// The device the kernel tests run on: ILGPU's CPU accelerator, or, with <c>MULTIMAX_GPU_TESTS=cuda</c>, ILGPU's preferred CUDA
/// device (the tests then fail where there is none, rather than quietly testing the emulator).
/// </summary>
internal static class TestDevice
{
    /// <summary>Whether this run asks for a CUDA device.</summary>
    public static bool WantsCuda => string.Equals(Environment.GetEnvironmentVariable("MULTIMAX_GPU_TESTS"), "cuda", StringComparison.OrdinalIgnoreCase);

    public static GpuDevice Create()
    {
        if (!WantsCuda)
        {
            return GpuDevice.CreateCpu();
        }

        GpuDevice device = GpuDevice.Create();
        if (!device.IsGpu)
        {
            device.Dispose();
            throw new InvalidOperationException("MULTIMAX_GPU_TESTS=cuda, but ILGPU finds no CUDA device.");
        }

        return device;
    }
}
