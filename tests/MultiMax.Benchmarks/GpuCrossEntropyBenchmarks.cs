using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using ILGPU;
using ILGPU.Runtime;
using MultiMax.Gpu;

namespace MultiMax.Benchmarks;

/// <summary>
/// The generated fused output-layer loss on a GPU, MultiMax2 beside plain SoftMax, with a device-to-device copy of the
/// hidden states and the weight in the same run; the throughput column turns each mean into achieved FLOP/s (the copy
/// gets its bandwidth). On a CUDA device the shape is that of <see cref="CrossEntropyBenchmarks"/> at its smaller
/// vocabulary: 4096 tokens, dim 128, vocab 32 768; without one the class runs on ILGPU's CPU accelerator at a tiny
/// shape, so that CI exercises the harness.
/// </summary>
[Config(typeof(FlopsConfig))]
public class GpuCrossEntropyBenchmarks
{
    private GpuDevice device = null!;
    private MemoryBuffer1D<float, Stride1D.Dense> hidden = null!, weight = null!, bias = null!, parameters = null!;
    private MemoryBuffer1D<float, Stride1D.Dense> hiddenGradient = null!, weightGradient = null!, biasGradient = null!, parameterGradients = null!, copy = null!;
    private MemoryBuffer1D<long, Stride1D.Dense> targets = null!;
    private CrossEntropyShape shape;

    public static IEnumerable<string> Shapes => GpuDevice.IsCudaAvailable() ? ["t4096 d128 v32768"] : ["t16 d8 v40 (CPU)"];

    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = "";

    /// <summary>The shape a parameter string names.</summary>
    public static CrossEntropyShape Parse(string shape)
    {
        string[] parts = shape.Split(' ');
        int Number(int index) => int.Parse(parts[index][1..]);
        return new CrossEntropyShape(Number(0), Number(1), Number(2));
    }

    /// <summary>
    /// The floating-point operations a benchmark counts: 2·t·d·v for the logits, three times that with the two gradient
    /// products (the kernels recompute the logits twice more: not counted). Null for the copy.
    /// </summary>
    public static double? Flops(string benchmark, string shape)
    {
        CrossEntropyShape s = Parse(shape);
        double logits = 2.0 * s.Tokens * s.Dim * s.Vocab;
        return benchmark switch
        {
            nameof(SoftMaxLoss) or nameof(MultiMax2Loss) => logits,
            nameof(SoftMaxLossAndGradients) or nameof(MultiMax2LossAndGradients) => 3 * logits,
            _ => null,
        };
    }

    /// <summary>The bytes the copy reads and writes: the hidden states and the weight once each.</summary>
    public static double CopyBytes(string shape)
    {
        CrossEntropyShape s = Parse(shape);
        return 2.0 * sizeof(float) * (s.HiddenLength + s.WeightLength);
    }

    [GlobalSetup]
    public void Setup()
    {
        device = GpuDevice.Create();
        shape = Parse(Shape);
        var random = new Random(42);
        float[] Uniform(long length, double range)
        {
            var data = new float[length];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = (float)(range * (2 * random.NextDouble() - 1));
            }

            return data;
        }

        Accelerator accelerator = device.Accelerator;
        hidden = accelerator.Allocate1D(Uniform(shape.HiddenLength, 1));
        weight = accelerator.Allocate1D(Uniform(shape.WeightLength, 1 / Math.Sqrt(shape.Dim)));
        bias = accelerator.Allocate1D(Uniform(shape.Vocab, 0.1));
        var classes = new long[shape.Tokens];
        for (int t = 0; t < classes.Length; t++)
        {
            classes[t] = random.Next(shape.Vocab);
        }

        targets = accelerator.Allocate1D(classes);
        parameters = accelerator.Allocate1D(WorkingParameters.Span);
        hiddenGradient = accelerator.Allocate1D<float>(shape.HiddenLength);
        weightGradient = accelerator.Allocate1D<float>(shape.WeightLength);
        biasGradient = accelerator.Allocate1D<float>(shape.Vocab);
        parameterGradients = accelerator.Allocate1D<float>(8);
        copy = accelerator.Allocate1D<float>(shape.HiddenLength + shape.WeightLength);
        Console.WriteLine($"// GPU loss benchmarks on {device}, {Shape}");

        // Compile every kernel before measuring.
        Copy();
        SoftMaxLossAndGradients();
        MultiMax2LossAndGradients();
    }

    [GlobalCleanup]
    public void Cleanup() => device.Dispose();

    [Benchmark(Baseline = true, Description = "Device-to-device copy of h, W")]
    public void Copy()
    {
        hidden.View.CopyTo(device.Stream, copy.View.SubView(0, shape.HiddenLength));
        weight.View.CopyTo(device.Stream, copy.View.SubView(shape.HiddenLength, shape.WeightLength));
        device.Stream.Synchronize();
    }

    [Benchmark(Description = "SoftMaxGpu.CrossEntropy")]
    public double SoftMaxLoss() =>
        GpuNormalizers.SoftMaxGpu.CrossEntropy(device.Stream, hidden.View, weight.View, bias.View, targets.View, shape);

    [Benchmark(Description = "MultiMax2Gpu.CrossEntropy")]
    public double MultiMax2Loss() =>
        GpuNormalizers.MultiMax2Gpu.CrossEntropy(device.Stream, hidden.View, weight.View, bias.View, targets.View, shape, parameters.View);

    [Benchmark(Description = "SoftMaxGpu.CrossEntropyBackward")]
    public double SoftMaxLossAndGradients() =>
        GpuNormalizers.SoftMaxGpu.CrossEntropyBackward(device.Stream, hidden.View, weight.View, bias.View, targets.View, shape,
            hiddenGradient.View, weightGradient.View, biasGradient.View);

    [Benchmark(Description = "MultiMax2Gpu.CrossEntropyBackward")]
    public double MultiMax2LossAndGradients() =>
        GpuNormalizers.MultiMax2Gpu.CrossEntropyBackward(device.Stream, hidden.View, weight.View, bias.View, targets.View, shape, parameters.View,
            hiddenGradient.View, weightGradient.View, biasGradient.View, parameterGradients.View);
}
