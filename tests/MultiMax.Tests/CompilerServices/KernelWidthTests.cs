using System;
using System.Linq;
using System.Reflection;
using MultiMax.CompilerServices;
using MultiMax.Tests.Support;
using Xunit;

namespace MultiMax.Tests.CompilerServices;

/// <summary>
/// Every generated row kernel is printed at two widths, and a machine runs only one of them: here both run on the same
/// rows (512-bit vectors are emulated where the hardware lacks them) and must agree, forward and backward, for every
/// declaration of the runtime and of this project: the same masked entries and NaN pattern, values within a few
/// rounding errors (the two sum their lanes in different orders; their exponentials give the same bits).
/// </summary>
public class KernelWidthTests
{
    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (Type kernel in GeneratedKernels())
        {
            data.Add(kernel.FullName!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void BothWidthsAgree(string kernelName)
    {
        Type kernel = GeneratedKernels().Single(type => type.FullName == kernelName);
        Type element = kernel.GetInterfaces().Single(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(INormalizerKernel<>)).GetGenericArguments()[0];
        if (element == typeof(float))
        {
            Check<float>(kernel, 1e-5);
        }
        else
        {
            Check<double>(kernel, 1e-12);
        }
    }

    private static void Check<T>(Type kernel, double tolerance)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int parameterCount = (int)kernel.GetProperty("ParameterCount")!.GetValue(null)!;
        var random = new Random(StableSeed.Of(kernel.FullName!));
        foreach (int rowLength in new[] { 16, 37, 197 })
        {
            const int Rows = 6;
            T[] x = Draw<T>(random, Rows * rowLength, 3), dy = Draw<T>(random, x.Length, 1), parameters = Draw<T>(random, parameterCount, 0.3);
            for (int i = 0; i < rowLength; i += 3)
            {
                x[rowLength + i] = T.NegativeInfinity; // a row with masked entries
            }

            x.AsSpan(2 * rowLength, rowLength).Fill(T.NegativeInfinity); // and one with nothing left

            T[] wide = Forward(kernel, "ForwardWide", x, rowLength, parameters), native = Forward(kernel, "ForwardNative", x, rowLength, parameters);
            AssertClose(native, wide, tolerance, $"{kernel.Name} forward, rows of {rowLength}");

            (T[] dxWide, double[] gradientsWide) = Backward(kernel, "BackwardWide", x, native, dy, rowLength, parameters);
            (T[] dxNative, double[] gradientsNative) = Backward(kernel, "BackwardNative", x, native, dy, rowLength, parameters);
            AssertClose(dxNative, dxWide, tolerance, $"{kernel.Name} backward, rows of {rowLength}");
            // A parameter gradient sums over every entry of every row, so its rounding bound is looser.
            for (int p = 0; p < parameterCount; p++)
            {
                double scale = 1 + Math.Abs(gradientsNative[p]);
                Assert.True(Math.Abs(gradientsWide[p] - gradientsNative[p]) <= tolerance * 100 * scale,
                    $"{kernel.Name} parameter {p}, rows of {rowLength}: {gradientsWide[p]} against {gradientsNative[p]}");
            }
        }
    }

    private static T[] Forward<T>(Type kernel, string method, T[] x, int rowLength, T[] parameters)
        where T : unmanaged
    {
        var y = new T[x.Length];
        kernel.GetMethod(method, BindingFlags.NonPublic | BindingFlags.Static)!.CreateDelegate<ForwardKernel<T>>()(x, y, rowLength, parameters);
        return y;
    }

    private static (T[] Dx, double[] Gradients) Backward<T>(Type kernel, string method, T[] x, T[] y, T[] dy, int rowLength, T[] parameters)
        where T : unmanaged
    {
        var dx = new T[x.Length];
        var gradients = new double[parameters.Length];
        kernel.GetMethod(method, BindingFlags.NonPublic | BindingFlags.Static)!.CreateDelegate<BackwardKernel<T>>()(
            x, y, dy, dx, rowLength, parameters, gradients);
        return (dx, gradients);
    }

    private delegate void ForwardKernel<T>(ReadOnlySpan<T> x, Span<T> y, int rowLength, ReadOnlySpan<T> parameters);

    private delegate void BackwardKernel<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int rowLength, ReadOnlySpan<T> parameters, Span<double> parameterGradients);

    private static void AssertClose<T>(T[] expected, T[] actual, double tolerance, string what)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double e = double.CreateTruncating(expected[i]), a = double.CreateTruncating(actual[i]);
            bool same = e.Equals(a) || (double.IsFinite(e) && Math.Abs(a - e) <= tolerance * (1 + Math.Abs(e)));
            Assert.True(same, $"{what}: entry {i} is {a} at 512 bits and {e} at Vector<T>'s width");
        }
    }

    private static T[] Draw<T>(Random random, int count, double spread)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var values = new T[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = T.CreateTruncating(spread * (2 * random.NextDouble() - 1));
        }

        return values;
    }

    private static Type[] GeneratedKernels() =>
        new[] { typeof(MultiMax.Normalizers).Assembly, typeof(KernelWidthTests).Assembly }
            .SelectMany(assembly => assembly.GetTypes())
            .Where(type => type.GetCustomAttribute<System.CodeDom.Compiler.GeneratedCodeAttribute>() is { Tool: "MultiMax.Generator" })
            .Where(type => type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(INormalizerKernel<>)))
            .ToArray();
}
