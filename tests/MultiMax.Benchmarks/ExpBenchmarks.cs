using System;
using System.Numerics;
using BenchmarkDotNet.Attributes;
using MultiMax.CompilerServices;

namespace MultiMax.Benchmarks;

/// <summary>
/// Why generated kernels call <see cref="VectorMath.Exp(Vector{float})"/>: on .NET 10 the generic
/// <see cref="Vector.Exp(Vector{float})"/> is slower than the fixed-width Exp of the same register size; a hand-written
/// single-precision exponential (<see cref="SinglePrecisionExp"/>) sits between the two.
/// </summary>
public class ExpBenchmarks
{
    private readonly float[] input = new float[1 << 20], output = new float[1 << 20];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (float)(8 * random.NextDouble() - 4);
        }
    }

    [Benchmark(Baseline = true, Description = "Vector.Exp(Vector<float>)")]
    public void VectorExp()
    {
        for (int i = 0; i < input.Length; i += Vector<float>.Count)
        {
            Vector.Exp(Vector.LoadUnsafe(ref input[0], (nuint)i)).StoreUnsafe(ref output[0], (nuint)i);
        }
    }

    [Benchmark(Description = "VectorMath.Exp (same-width Vector256/512/128.Exp)")]
    public void FixedWidthExp()
    {
        for (int i = 0; i < input.Length; i += Vector<float>.Count)
        {
            VectorMath.Exp(Vector.LoadUnsafe(ref input[0], (nuint)i)).StoreUnsafe(ref output[0], (nuint)i);
        }
    }

    [Benchmark(Description = "Single precision throughout (SinglePrecisionExp)")]
    public void SinglePrecision()
    {
        for (int i = 0; i < input.Length; i += Vector<float>.Count)
        {
            SinglePrecisionExp.Exp(Vector.LoadUnsafe(ref input[0], (nuint)i)).StoreUnsafe(ref output[0], (nuint)i);
        }
    }
}
