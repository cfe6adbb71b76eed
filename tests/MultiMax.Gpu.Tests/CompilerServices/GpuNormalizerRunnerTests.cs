using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ILGPU;
using ILGPU.Runtime;
using MultiMax.Gpu.CompilerServices;
using Xunit;

namespace MultiMax.Gpu.Tests.CompilerServices;

/// <summary>The kernel cache and the launch shape that every generated <c>&lt;Name&gt;Gpu</c> class relies on.</summary>
public sealed class GpuNormalizerRunnerTests
{
    [Fact]
    public void AKernelIsCompiledOncePerAcceleratorAndReused()
    {
        using GpuDevice device = GpuDevice.CreateCpu();
        int compiles = 0;
        Action<AcceleratorStream, KernelConfig, ArrayView<float>> Compile(Accelerator accelerator)
        {
            Interlocked.Increment(ref compiles);
            return accelerator.LoadKernel<ArrayView<float>>(Fill);
        }

        // Many threads ask at once: one compile, one launcher for all.
        Delegate[] launchers = Enumerable.Range(0, 16).AsParallel().WithDegreeOfParallelism(8)
            .Select(_ => (Delegate)GpuNormalizerRunner.Load(device.Accelerator, Fill, Compile))
            .ToArray();

        Assert.Equal(1, compiles);
        Assert.All(launchers, launcher => Assert.Same(launchers[0], launcher));

        using GpuDevice other = GpuDevice.CreateCpu();
        Assert.NotSame(launchers[0], GpuNormalizerRunner.Load(other.Accelerator, Fill, Compile));
        Assert.Equal(2, compiles);
    }

    [Fact]
    public void DisposingTheAcceleratorForgetsItsKernels()
    {
        GpuDevice device = GpuDevice.CreateCpu();
        Accelerator accelerator = device.Accelerator;
        using (MemoryBuffer1D<float, Stride1D.Dense> x = accelerator.Allocate1D(new float[] { 1, 2 }))
        {
            GpuNormalizers.SoftMaxGpu.Forward(device.Stream, x.View, x.View, 2);
            device.Stream.Synchronize();
        }

        Assert.Equal(1, GpuNormalizerRunner.CachedKernelCount(accelerator));
        device.Dispose();
        Assert.Equal(0, GpuNormalizerRunner.CachedKernelCount(accelerator));
        Assert.Throws<ObjectDisposedException>(() => GpuNormalizerRunner.Load(accelerator, Fill, a => a.LoadKernel<ArrayView<float>>(Fill)));
    }

    [Fact]
    public async Task ConcurrentCallsOnSeparateStreamsAgree()
    {
        using GpuDevice device = GpuDevice.CreateCpu();
        float[] scores = { 1, 2, 3, 4, -1, 0, 1, 2 };
        float[] expected = new float[scores.Length];
        MultiMax.Normalizers.SoftMax(scores, expected, 4);

        float[][] results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            using AcceleratorStream stream = device.Accelerator.CreateStream();
            using MemoryBuffer1D<float, Stride1D.Dense> x = device.Accelerator.Allocate1D(scores);
            GpuNormalizers.SoftMaxGpu.Forward(stream, x.View, x.View, 4);
            return x.GetAsArray1D(stream);
        })));

        Assert.All(results, result => Assert.Equal(expected, result, (a, b) => Math.Abs(a - b) < 1e-6f));
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(4, 4)]
    [InlineData(5, 8)]
    [InlineData(17, 16)]
    [InlineData(4096, 16)]
    public void ShortRowsGetTheFewestWholeWarpsAndLongRowsTheLargestGroup(int rowLength, int expectedGroup)
    {
        // The CPU accelerator: warps of 4 lanes, groups of at most 16.
        using GpuDevice device = GpuDevice.CreateCpu();
        KernelConfig config = GpuNormalizerRunner.Rows(device.Accelerator, rows: 3, rowLength);
        Assert.Equal(3, config.GridDim.X);
        Assert.Equal(expectedGroup, config.GroupDim.X);
        Assert.Equal(0, config.GroupDim.X % device.Accelerator.WarpSize);
    }

    private static void Fill(ArrayView<float> x) => x[Grid.GlobalIndex.X] = 1;
}
