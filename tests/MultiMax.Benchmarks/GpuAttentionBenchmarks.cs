using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using ILGPU;
using ILGPU.Runtime;
using MultiMax.Gpu;

namespace MultiMax.Benchmarks;

/// <summary>
/// The generated fused attention kernels on a GPU, MultiMax2 beside plain SoftMax, with a device-to-device copy of
/// the query, key and value bytes in the same run; the Throughput column turns each mean into achieved FLOP/s (the copy
/// gets its bandwidth instead). On a CUDA device the shapes are b1 h8 d64 at n = 1024 and 4096;
/// without one the class still runs, on ILGPU's CPU accelerator at a tiny shape, so that CI exercises the harness
/// (those numbers say nothing about a GPU).
/// </summary>
[Config(typeof(FlopsConfig))]
public class GpuAttentionBenchmarks
{
    private GpuDevice device = null!;
    private MemoryBuffer1D<float, Stride1D.Dense> query = null!, key = null!, value = null!, output = null!, logSumExp = null!, outputGradient = null!;
    private MemoryBuffer1D<float, Stride1D.Dense> queryGradient = null!, keyGradient = null!, valueGradient = null!, parameters = null!, parameterGradients = null!;
    private MemoryBuffer1D<float, Stride1D.Dense> copy = null!;
    private AttentionShape shape;

    public static IEnumerable<string> Shapes => GpuDevice.IsCudaAvailable() ? ["b1 h8 n1024 d64", "b1 h8 n4096 d64"] : ["b1 h2 n32 d16 (CPU)"];

    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = "";

    /// <summary>The shape a parameter string names.</summary>
    public static AttentionShape Parse(string shape)
    {
        string[] parts = shape.Split(' ');
        int Number(int index) => int.Parse(parts[index][1..]);
        return new AttentionShape(Number(0), Number(1), Number(2), Number(2), Number(3));
    }

    /// <summary>
    /// The floating-point operations a benchmark counts, as FlashAttention reports them: 4·b·h·n²·d for the forward's
    /// two products, 2.5 times that for the backward's five (the kernels recompute two more: they are not counted).
    /// Null for the copy.
    /// </summary>
    public static double? Flops(string benchmark, string shape)
    {
        AttentionShape s = Parse(shape);
        double forward = 4.0 * s.HeadCount * s.Queries * s.Keys * s.HeadSize;
        return benchmark switch
        {
            nameof(SoftMaxForward) or nameof(MultiMax2Forward) => forward,
            nameof(SoftMaxForwardBackward) or nameof(MultiMax2ForwardBackward) => 3.5 * forward,
            _ => null,
        };
    }

    /// <summary>The bytes the copy reads and writes: query, key and value once each.</summary>
    public static double CopyBytes(string shape)
    {
        AttentionShape s = Parse(shape);
        return 2.0 * sizeof(float) * (s.QueryLength + 2 * s.KeyLength);
    }

    [GlobalSetup]
    public void Setup()
    {
        device = GpuDevice.Create();
        shape = Parse(Shape);
        var random = new Random(42);
        float[] Normal(long length)
        {
            var data = new float[length];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = (float)(2 * random.NextDouble() - 1);
            }

            return data;
        }

        Accelerator accelerator = device.Accelerator;
        query = accelerator.Allocate1D(Normal(shape.QueryLength));
        key = accelerator.Allocate1D(Normal(shape.KeyLength));
        value = accelerator.Allocate1D(Normal(shape.KeyLength));
        outputGradient = accelerator.Allocate1D(Normal(shape.QueryLength));
        output = accelerator.Allocate1D<float>(shape.QueryLength);
        logSumExp = accelerator.Allocate1D<float>(shape.LogSumExpLength);
        queryGradient = accelerator.Allocate1D<float>(shape.QueryLength);
        keyGradient = accelerator.Allocate1D<float>(shape.KeyLength);
        valueGradient = accelerator.Allocate1D<float>(shape.KeyLength);
        copy = accelerator.Allocate1D<float>(shape.QueryLength + 2 * shape.KeyLength);
        parameters = accelerator.Allocate1D(WorkingParameters.Span);
        parameterGradients = accelerator.Allocate1D<float>(8);
        Console.WriteLine($"// GPU attention benchmarks on {device}, {Shape}");

        // Compile every kernel before measuring.
        Copy();
        SoftMaxForwardBackward();
        MultiMax2ForwardBackward();
    }

    [GlobalCleanup]
    public void Cleanup() => device.Dispose();

    [Benchmark(Baseline = true, Description = "Device-to-device copy of q, k, v")]
    public void Copy()
    {
        query.View.CopyTo(device.Stream, copy.View.SubView(0, shape.QueryLength));
        key.View.CopyTo(device.Stream, copy.View.SubView(shape.QueryLength, shape.KeyLength));
        value.View.CopyTo(device.Stream, copy.View.SubView(shape.QueryLength + shape.KeyLength, shape.KeyLength));
        device.Stream.Synchronize();
    }

    [Benchmark(Description = "SoftMaxGpu.Attention")]
    public void SoftMaxForward()
    {
        GpuNormalizers.SoftMaxGpu.Attention(device.Stream, query.View, key.View, value.View, output.View, logSumExp.View, shape);
        device.Stream.Synchronize();
    }

    [Benchmark(Description = "MultiMax2Gpu.Attention")]
    public void MultiMax2Forward()
    {
        GpuNormalizers.MultiMax2Gpu.Attention(device.Stream, query.View, key.View, value.View, output.View, logSumExp.View, shape, parameters.View);
        device.Stream.Synchronize();
    }

    [Benchmark(Description = "SoftMaxGpu.Attention + AttentionBackward")]
    public void SoftMaxForwardBackward()
    {
        GpuNormalizers.SoftMaxGpu.Attention(device.Stream, query.View, key.View, value.View, output.View, logSumExp.View, shape);
        GpuNormalizers.SoftMaxGpu.AttentionBackward(device.Stream, query.View, key.View, value.View, output.View, logSumExp.View,
            outputGradient.View, queryGradient.View, keyGradient.View, valueGradient.View, shape);
        // No Synchronize: the backward waits for the stream itself.
    }

    [Benchmark(Description = "MultiMax2Gpu.Attention + AttentionBackward")]
    public void MultiMax2ForwardBackward()
    {
        GpuNormalizers.MultiMax2Gpu.Attention(device.Stream, query.View, key.View, value.View, output.View, logSumExp.View, shape, parameters.View);
        GpuNormalizers.MultiMax2Gpu.AttentionBackward(device.Stream, query.View, key.View, value.View, output.View, logSumExp.View,
            outputGradient.View, queryGradient.View, keyGradient.View, valueGradient.View, shape, parameters.View, parameterGradients.View);
    }
}
