using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using ILGPU;
using ILGPU.Runtime;
using MultiMax.Gpu;

namespace MultiMax.Benchmarks;

/// <summary>
/// The generated ILGPU kernels against a device-to-device copy of the same bytes, side by side in one run; the
/// bandwidth columns turn each mean into bytes moved per second and a fraction of the copy's. On a CUDA device the
/// shapes are the issue's [16 384 × 4 096] and attention-shaped [75 648 × 197]; without one the class still runs, on
/// ILGPU's CPU accelerator at a small shape, so that the harness is exercised (those numbers say nothing about a GPU).
/// </summary>
[Config(typeof(BandwidthConfig))]
public class GpuBenchmarks
{
    private GpuDevice device = null!;
    private MemoryBuffer1D<float, Stride1D.Dense> x = null!, y = null!, dy = null!, dx = null!, parameters = null!, gradients = null!;
    private int rowLength;

    public static IEnumerable<string> Shapes => GpuDevice.IsCudaAvailable() ? ["16384x4096", "75648x197"] : ["64x197 (CPU)"];

    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = "";

    /// <summary>The bytes a benchmark must move at least, per element of the matrix: what the bandwidth columns divide by.</summary>
    public static int BytesPerElement(string benchmark) => benchmark switch
    {
        nameof(ForwardBackward) => 6 * sizeof(float), // forward: read x, write y; backward: read x, y, dy, write dx
        _ => 2 * sizeof(float),                       // read one matrix, write one
    };

    public static long Elements(string shape)
    {
        string[] parts = shape.Split(' ')[0].Split('x');
        return long.Parse(parts[0]) * long.Parse(parts[1]);
    }

    [GlobalSetup]
    public void Setup()
    {
        device = GpuDevice.Create();
        string[] parts = Shape.Split(' ')[0].Split('x');
        (int rows, rowLength) = (int.Parse(parts[0]), int.Parse(parts[1]));
        var random = new Random(42);
        var host = new float[rows * rowLength];
        for (int i = 0; i < host.Length; i++)
        {
            host[i] = (float)(4 * random.NextDouble() - 2);
        }

        Accelerator accelerator = device.Accelerator;
        x = accelerator.Allocate1D(host);
        y = accelerator.Allocate1D<float>(host.Length);
        dy = accelerator.Allocate1D(host);
        dx = accelerator.Allocate1D<float>(host.Length);
        parameters = accelerator.Allocate1D(WorkingParameters.Span);
        gradients = accelerator.Allocate1D<float>(8);
        Console.WriteLine($"// GPU benchmarks on {accelerator.Name} ({accelerator.AcceleratorType}), {Shape}");

        // Compile every kernel before measuring.
        Copy();
        SoftMax();
        ForwardBackward();
    }

    [GlobalCleanup]
    public void Cleanup() => device.Dispose();

    [Benchmark(Baseline = true, Description = "Device-to-device copy")]
    public void Copy()
    {
        x.View.CopyTo(device.Stream, y.View);
        device.Stream.Synchronize();
    }

    [Benchmark(Description = "Generated SoftMaxGpu forward")]
    public void SoftMax()
    {
        GpuNormalizers.SoftMaxGpu.Forward(device.Stream, x.View, y.View, rowLength);
        device.Stream.Synchronize();
    }

    [Benchmark(Description = "Generated MultiMax2Gpu forward")]
    public void Forward()
    {
        GpuNormalizers.MultiMax2Gpu.Forward(device.Stream, x.View, y.View, rowLength, parameters.View);
        device.Stream.Synchronize();
    }

    [Benchmark(Description = "Generated MultiMax2Gpu forward+backward")]
    public void ForwardBackward()
    {
        GpuNormalizers.MultiMax2Gpu.Forward(device.Stream, x.View, y.View, rowLength, parameters.View);
        GpuNormalizers.MultiMax2Gpu.Backward(device.Stream, x.View, y.View, dy.View, dx.View, rowLength, parameters.View, gradients.View);
        // No Synchronize: a Backward with parameter gradients waits for the stream itself.
    }
}
