using System;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using MultiMax;

namespace MultiMax.Benchmarks;

/// <summary>
/// Row-wise normalization of a float matrix. The baseline is <c>TensorPrimitives.SoftMax</c> called row by row,
/// beside the same with the row's maximum subtracted first (what an overflow-safe SoftMax costs with it); a plain
/// copy of the same bytes marks the memory limit. The generated kernels split rows across cores, so single-threaded
/// row loops of the generated SoftMax and MultiMax2 are shown as well, for a like-for-like comparison.
/// </summary>
[MemoryDiagnoser(false)]
public class ForwardBenchmarks
{
    private float[] x = [], y = [], dy = [], dx = [];
    private readonly float[] parameters = new float[8], parameterGradients = new float[8];
    private int rows, rowLength;

    [Params("4096x4096", "75648x197")]
    public string Shape { get; set; } = "4096x4096";

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Shape.Split('x');
        (rows, rowLength) = (int.Parse(parts[0]), int.Parse(parts[1]));
        var random = new Random(42);
        x = new float[rows * rowLength];
        y = new float[x.Length];
        dy = new float[x.Length];
        dx = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(4 * random.NextDouble() - 2);
            dy[i] = (float)(random.NextDouble() - 0.5);
        }

        WorkingParameters.Span.CopyTo(parameters, 0);
        Normalizers.MultiMax2(x, y, rowLength, parameters);
    }

    [Benchmark(Description = "Copy (memory limit)")]
    public void Copy() => x.AsSpan().CopyTo(y);

    [Benchmark(Baseline = true, Description = "TensorPrimitives.SoftMax row loop")]
    public void TensorPrimitivesSoftMax()
    {
        for (int start = 0; start < x.Length; start += rowLength)
        {
            TensorPrimitives.SoftMax(x.AsSpan(start, rowLength), y.AsSpan(start, rowLength));
        }
    }

    /// <summary>
    /// What a caller writes for a SoftMax that cannot overflow: <c>TensorPrimitives.SoftMax</c> does not subtract the
    /// row's maximum (with System.Numerics.Tensors 10.0.0 an entry of 100 comes back NaN), the generated kernels do.
    /// </summary>
    [Benchmark(Description = "TensorPrimitives max-subtracted SoftMax row loop")]
    public void TensorPrimitivesStableSoftMax()
    {
        for (int start = 0; start < x.Length; start += rowLength)
        {
            ReadOnlySpan<float> row = x.AsSpan(start, rowLength);
            Span<float> result = y.AsSpan(start, rowLength);
            TensorPrimitives.Subtract(row, TensorPrimitives.Max(row), result);
            TensorPrimitives.SoftMax(result, result);
        }
    }

    [Benchmark(Description = "Generated SoftMax")]
    public void SoftMax() => Normalizers.SoftMax(x, y, rowLength);

    [Benchmark(Description = "Generated SoftMax, 1 thread (row loop)")]
    public void SoftMaxSingleThread()
    {
        for (int start = 0; start < x.Length; start += rowLength)
        {
            Normalizers.SoftMax(x.AsSpan(start, rowLength), y.AsSpan(start, rowLength), rowLength);
        }
    }

    [Benchmark(Description = "Generated MultiMax2 forward")]
    public void MultiMax2Forward() => Normalizers.MultiMax2(x, y, rowLength, parameters);

    [Benchmark(Description = "Generated MultiMax2 forward, 1 thread (row loop)")]
    public void MultiMax2ForwardSingleThread()
    {
        for (int start = 0; start < x.Length; start += rowLength)
        {
            Normalizers.MultiMax2(x.AsSpan(start, rowLength), y.AsSpan(start, rowLength), rowLength, parameters);
        }
    }

    [Benchmark(Description = "Generated MultiMax2 forward+backward")]
    public void MultiMax2ForwardBackward()
    {
        Normalizers.MultiMax2(x, y, rowLength, parameters);
        Normalizers.MultiMax2Backward(x, y, dy, dx, rowLength, parameters, parameterGradients);
    }
}
