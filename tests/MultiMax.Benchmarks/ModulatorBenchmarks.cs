using System;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace MultiMax.Benchmarks;

/// <summary>
/// σ written as C# against σ written as terms, forward and backward over float rows: logit soft-capping
/// (<c>cap·tanh(x/cap)</c>, one tanh per entry), a capped MultiMax (terms and a tanh), the built-in MultiMax2 (terms
/// only) and SoftMax; and soft-capping as a caller would write it without MultiMax, with <c>TensorPrimitives</c>
/// (tanh, scale, SoftMax with the row's maximum subtracted) row by row.
/// </summary>
[MemoryDiagnoser(false)]
public partial class ModulatorBenchmarks
{
    private const float Cap = 30;

    private float[] x = [], y = [], dy = [], dx = [];
    private readonly float[] cap = { Cap }, capGradient = new float[1];
    private readonly float[] multiMax = WorkingParameters.Span, multiMaxGradients = new float[8];
    private readonly float[] cappedMultiMax = { 0.3f, -1f, -0.2f, 1f, Cap }, cappedMultiMaxGradients = new float[5];
    private int rowLength;

    [Params("4096x4096", "75648x197")]
    public string Shape { get; set; } = "4096x4096";

    [Normalizer(Modulator = nameof(SoftCapping))]
    private static partial void Capped(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    private static double SoftCapping(double x, double cap = 30) => cap * Math.Tanh(x / cap);

    [Normalizer(Modulator = nameof(CappedOrder1))]
    private static partial void CappedMultiMax(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

    private static double CappedOrder1(double x, double a = 0.1, double b = -1, double c = 0.1, double d = 1, double cap = 30) =>
        cap * Math.Tanh((x + a * Math.Max(b - x, 0) + c * Math.Max(x - d, 0)) / cap);

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Shape.Split('x');
        rowLength = int.Parse(parts[1]);
        var random = new Random(42);
        x = new float[int.Parse(parts[0]) * rowLength];
        y = new float[x.Length];
        dy = new float[x.Length];
        dx = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(40 * random.NextDouble() - 20);
            dy[i] = (float)(random.NextDouble() - 0.5);
        }
    }

    [Benchmark(Baseline = true, Description = "Generated SoftMax")]
    public void SoftMax() => Normalizers.SoftMax(x, y, rowLength);

    [Benchmark(Description = "Generated MultiMax2 (terms)")]
    public void MultiMax2() => Normalizers.MultiMax2(x, y, rowLength, multiMax);

    [Benchmark(Description = "Soft-capping (σ as C#)")]
    public void SoftCap() => Capped(x, y, rowLength, cap);

    [Benchmark(Description = "Capped MultiMax (σ as C#)")]
    public void CappedMultiMaxForward() => CappedMultiMax(x, y, rowLength, cappedMultiMax);

    /// <summary>Soft-capping without MultiMax: TensorPrimitives' tanh, a scale, and a max-subtracted SoftMax, row by row.</summary>
    [Benchmark(Description = "Soft-capping, TensorPrimitives row loop")]
    public void SoftCapTensorPrimitives()
    {
        for (int start = 0; start < x.Length; start += rowLength)
        {
            Span<float> row = y.AsSpan(start, rowLength);
            TensorPrimitives.Divide(x.AsSpan(start, rowLength), Cap, row);
            TensorPrimitives.Tanh(row, row);
            TensorPrimitives.Multiply(row, Cap, row);
            TensorPrimitives.Subtract(row, TensorPrimitives.Max(row), row);
            TensorPrimitives.SoftMax(row, row);
        }
    }

    [Benchmark(Description = "Generated SoftMax backward")]
    public void SoftMaxBackward() => Normalizers.SoftMaxBackward(x, y, dy, dx, rowLength);

    [Benchmark(Description = "Generated MultiMax2 backward (terms)")]
    public void MultiMax2Backward() => Normalizers.MultiMax2Backward(x, y, dy, dx, rowLength, multiMax, multiMaxGradients);

    [Benchmark(Description = "Soft-capping backward (σ as C#)")]
    public void SoftCapBackward() => CappedBackward(x, y, dy, dx, rowLength, cap, capGradient);

    [Benchmark(Description = "Capped MultiMax backward (σ as C#)")]
    public void CappedMultiMaxBackwardPass() => CappedMultiMaxBackward(x, y, dy, dx, rowLength, cappedMultiMax, cappedMultiMaxGradients);
}
