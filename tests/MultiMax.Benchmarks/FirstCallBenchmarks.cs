using System;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using MultiMax;

namespace MultiMax.Benchmarks;

/// <summary>
/// The first call in a fresh process against warm calls, on [4096 × 4096] floats, beside the TensorPrimitives.SoftMax
/// row loop: a service answers its first requests with first calls. "FirstCall" starts a new process for every
/// measurement and times that process's single call, JIT compilation included; "Warm" is the steady state. The
/// generated kernels are compiled fully optimized at their first call, so they need no warm-up to reach their speed.
/// </summary>
[SimpleJob(RunStrategy.ColdStart, launchCount: 10, warmupCount: 0, iterationCount: 1, invocationCount: 1, id: "FirstCall")]
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 10, id: "Warm")]
public class FirstCallBenchmarks
{
    private const int Rows = 4096, RowLength = 4096;
    private readonly float[] parameters = WorkingParameters.Span;
    private float[] x = [], y = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        x = new float[Rows * RowLength];
        y = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(4 * random.NextDouble() - 2);
        }
    }

    [Benchmark(Baseline = true, Description = "TensorPrimitives.SoftMax row loop")]
    public void TensorPrimitivesSoftMax()
    {
        for (int start = 0; start < x.Length; start += RowLength)
        {
            TensorPrimitives.SoftMax(x.AsSpan(start, RowLength), y.AsSpan(start, RowLength));
        }
    }

    [Benchmark(Description = "Generated MultiMax2 forward")]
    public void MultiMax2Forward() => Normalizers.MultiMax2(x, y, RowLength, parameters);

    [Benchmark(Description = "Generated MultiMax2 forward, 1 thread (row loop)")]
    public void MultiMax2ForwardSingleThread()
    {
        for (int start = 0; start < x.Length; start += RowLength)
        {
            Normalizers.MultiMax2(x.AsSpan(start, RowLength), y.AsSpan(start, RowLength), RowLength, parameters);
        }
    }
}
