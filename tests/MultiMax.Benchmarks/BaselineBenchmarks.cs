using System;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace MultiMax.Benchmarks;

/// <summary>
/// The sort-based baselines (SparseMax, 1.5-EntMax) and EvSoftMax beside the generated MultiMax2 and the
/// <c>TensorPrimitives.SoftMax</c> row loop, forward, on the same float matrices as <see cref="ForwardBenchmarks"/>.
/// </summary>
[MemoryDiagnoser(false)]
public class BaselineBenchmarks
{
    private float[] x = [], y = [];
    private readonly float[] parameters = WorkingParameters.Span;
    private int rowLength;

    [Params("4096x4096", "75648x197")]
    public string Shape { get; set; } = "4096x4096";

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Shape.Split('x');
        rowLength = int.Parse(parts[1]);
        var random = new Random(42);
        x = new float[int.Parse(parts[0]) * rowLength];
        y = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(4 * random.NextDouble() - 2);
        }
    }

    [Benchmark(Baseline = true, Description = "TensorPrimitives.SoftMax row loop")]
    public void TensorPrimitivesSoftMax()
    {
        for (int start = 0; start < x.Length; start += rowLength)
        {
            TensorPrimitives.SoftMax(x.AsSpan(start, rowLength), y.AsSpan(start, rowLength));
        }
    }

    [Benchmark(Description = "Generated MultiMax2 forward")]
    public void MultiMax2() => Normalizers.MultiMax2(x, y, rowLength, parameters);

    [Benchmark(Description = "SparseMax")]
    public void SparseMax() => SparseNormalizers.SparseMax(x, y, rowLength);

    [Benchmark(Description = "EntMax-1.5")]
    public void EntMax15() => SparseNormalizers.EntMax15(x, y, rowLength);

    [Benchmark(Description = "EvSoftMax")]
    public void EvSoftMax() => SparseNormalizers.EvSoftMax(x, y, rowLength);
}
