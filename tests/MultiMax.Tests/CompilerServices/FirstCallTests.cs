using System;
using System.Linq;
using System.Reflection;
using MultiMax.CompilerServices;
using Xunit;

namespace MultiMax.Tests.CompilerServices;

/// <summary>
/// Generated kernels are compiled fully optimized from their first call, so a service's first requests are as fast as
/// its hundredth and every call gives the same bits (tier-0 code once rounded some entries differently). The time of a
/// first call is measured by tests/MultiMax.Benchmarks (FirstCallBenchmarks).
/// </summary>
public class FirstCallTests
{
    [Fact]
    public void EveryGeneratedKernelMethodIsCompiledFullyOptimizedAtOnce()
    {
        Type[] kernels = new[] { typeof(MultiMax.Normalizers).Assembly, typeof(FirstCallTests).Assembly }
            .SelectMany(assembly => assembly.GetTypes())
            .Where(type => type.GetCustomAttribute<System.CodeDom.Compiler.GeneratedCodeAttribute>() is { Tool: "MultiMax.Generator" })
            .Where(type => type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(INormalizerKernel<>)))
            .ToArray();
        Assert.True(kernels.Length >= 20, $"found only {kernels.Length} generated kernels");
        // Forward and Backward, and what each dispatches to: the same rows at 512 bits and at Vector<T>'s width.
        string[] names = { "Forward", "ForwardWide", "ForwardNative", "Backward", "BackwardWide", "BackwardNative" };
        MethodInfo[] methods = kernels
            .SelectMany(kernel => kernel.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(method => names.Contains(method.Name))
            .ToArray();
        Assert.Equal(names.Length * kernels.Length, methods.Length);
        Assert.All(methods, method =>
            Assert.True(method.MethodImplementationFlags.HasFlag(MethodImplAttributes.AggressiveOptimization), $"{method.DeclaringType}.{method.Name}"));
    }

    [Fact]
    public void RepeatedCallsGiveTheSameBits()
    {
        var random = new Random(5);
        const int rowLength = 197, rows = 400; // threaded
        float[] x = Enumerable.Range(0, rows * rowLength).Select(_ => (float)(4 * random.NextDouble() - 2)).ToArray();
        float[] parameters = { 0.3f, -0.2f, 0.1f, -0.05f, -1f, 1f, -1.5f, 1.5f };
        float[] first = new float[x.Length], again = new float[x.Length];
        MultiMax.Normalizers.MultiMax2(x, first, rowLength, parameters);
        for (int call = 0; call < 40; call++)
        {
            MultiMax.Normalizers.MultiMax2(x, again, rowLength, parameters);
            Assert.True(first.AsSpan().SequenceEqual(again), $"call {call + 2} differs from the first");
        }
    }
}
