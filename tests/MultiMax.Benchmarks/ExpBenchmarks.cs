using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using MultiMax.CompilerServices;

namespace MultiMax.Benchmarks;

/// <summary>
/// Why the generated kernels call <see cref="VectorMath"/>'s float exponential rather than the BCL's
/// <see cref="Vector256.Exp(Vector256{float})"/> and <see cref="Vector512.Exp(Vector512{float})"/>: each loop here is
/// compiled as the kernels are, fully optimized from the start (<see cref="MethodImplOptions.AggressiveOptimization"/>),
/// where the BCL's exponential is too large to be inlined and stays a call; tiered code would inline it only after
/// profiling.
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

    [Benchmark(Baseline = true, Description = "Vector256.Exp (the BCL's)")]
    public void NativeBcl() => NativeBcl(input, output);

    [Benchmark(Description = "VectorMath.Exp(Vector<float>), inlined")]
    public void NativeWidth() => NativeWidth(input, output);

    [Benchmark(Description = "Vector512.Exp (the BCL's)")]
    public void WideBcl() => WideBcl(input, output);

    [Benchmark(Description = "VectorMath.Exp(Vector512<float>), inlined")]
    public void WideInlined() => WideInlined(input, output);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NativeBcl(float[] input, float[] output)
    {
        for (int i = 0; i < input.Length; i += Vector256<float>.Count)
        {
            Vector256.Exp(Vector256.LoadUnsafe(ref input[0], (nuint)i)).StoreUnsafe(ref output[0], (nuint)i);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NativeWidth(float[] input, float[] output)
    {
        for (int i = 0; i < input.Length; i += Vector<float>.Count)
        {
            VectorMath.Exp(Vector.LoadUnsafe(ref input[0], (nuint)i)).StoreUnsafe(ref output[0], (nuint)i);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WideBcl(float[] input, float[] output)
    {
        for (int i = 0; i < input.Length; i += Vector512<float>.Count)
        {
            Vector512.Exp(Vector512.LoadUnsafe(ref input[0], (nuint)i)).StoreUnsafe(ref output[0], (nuint)i);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WideInlined(float[] input, float[] output)
    {
        for (int i = 0; i < input.Length; i += Vector512<float>.Count)
        {
            VectorMath.Exp(Vector512.LoadUnsafe(ref input[0], (nuint)i)).StoreUnsafe(ref output[0], (nuint)i);
        }
    }
}
