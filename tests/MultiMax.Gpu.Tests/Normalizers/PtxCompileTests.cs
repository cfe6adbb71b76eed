using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using MultiMax.Gpu.CompilerServices;
using MultiMax.Gpu.Tests.Declarations;
using Xunit;

namespace MultiMax.Gpu.Tests.Normalizers;

/// <summary>
/// Every kernel compiles to PTX through ILGPU's PTX backend, with no GPU: the runtime's generic kernels over the σ struct
/// of every built-in and test declaration, and the runtime's helper kernels. What the CPU accelerator cannot catch (a construct
/// the CUDA backend rejects) fails here.
/// </summary>
public sealed class PtxCompileTests
{
    /// <summary>Volta (sm_70), an old architecture: what compiles for it compiles for the later ones.</summary>
    private static readonly CudaArchitecture Architecture = CudaArchitecture.SM_70;

    /// <summary>The types whose nested <c>…Gpu</c> classes hold the generated σ structs; a generic container closed.</summary>
    private static readonly Type[] GeneratedHosts = { typeof(GpuNormalizers), typeof(Ops), typeof(Outer<int>.Inner) };

    /// <summary>The generated <c>…Gpu</c> classes.</summary>
    private static readonly Type[] GpuClasses = GeneratedHosts.SelectMany(type => type.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic)).ToArray();

    /// <summary>The runtime's kernels generic over a σ struct: every <c>…Kernel&lt;T, TElement, TModulator&gt;</c> of its three kernel classes.</summary>
    private static readonly MethodInfo[] GenericKernels = new[] { typeof(GpuRowKernels), typeof(GpuAttentionKernels), typeof(GpuCrossEntropyKernels) }
        .SelectMany(type => type.GetMethods(BindingFlags.Static | BindingFlags.NonPublic))
        .Where(method => method.Name.EndsWith("Kernel", StringComparison.Ordinal) && method.GetGenericArguments().Length == 3)
        .ToArray();

    /// <summary>
    /// Every kernel by a readable name: the runtime's generic kernels over every generated σ struct, and the runtime's
    /// helper kernels (gradient sums, D of attention) for each element type.
    /// </summary>
    private static readonly Dictionary<string, MethodInfo> AllKernels = GpuClasses
        .SelectMany(KernelsOver)
        .Append(SumRows<float, GpuSingle>())
        .Append(SumRows<double, GpuDouble>())
        .Append(Runtime(nameof(GpuNormalizerRunner), GpuNormalizerRunner.SumPartialsKernel<float, GpuSingle>))
        .Append(Runtime(nameof(GpuNormalizerRunner), GpuNormalizerRunner.SumPartialsKernel<double, GpuDouble>))
        .Append(Runtime(nameof(GpuAttentionRunner), GpuAttentionRunner.OutputDotsKernel<float, GpuSingle>))
        .Append(Runtime(nameof(GpuAttentionRunner), GpuAttentionRunner.OutputDotsKernel<double, GpuDouble>))
        .Append(Runtime(nameof(GpuAttentionRunner), GpuAttentionRunner.SinkGradientKernel<float, GpuSingle>))
        .Append(Runtime(nameof(GpuAttentionRunner), GpuAttentionRunner.SinkGradientKernel<double, GpuDouble>))
        .ToDictionary(kernel => kernel.Name, kernel => kernel.Method);

    public static IEnumerable<object[]> Kernels() => AllKernels.Keys.Select(name => new object[] { name });

    [Fact]
    public void EveryGeneratedClassHasItsKernels()
    {
        string[] kernels = Kernels().Select(k => (string)k[0]).ToArray();
        foreach (string normalizer in new[] { "SoftMax", "MultiMax1", "MultiMax2", "MultiMaxV2", "LogMultiMax2" })
        {
            foreach (string kernel in new[] { "FloatModulator.ForwardKernel", "FloatModulator.BackwardKernel", "DoubleModulator.ForwardKernel", "DoubleModulator.BackwardKernel" })
            {
                Assert.Contains($"{normalizer}Gpu.{kernel}", kernels);
            }
        }

        Assert.Contains("CustomGpu.DoubleModulator.BackwardKernel", kernels);
        Assert.Contains("LogV2Gpu.FloatModulator.BackwardKernel", kernels);
        Assert.Contains("ClipGpu.DoubleModulator.ForwardKernel", kernels);
        Assert.Contains("GpuNormalizerRunner.SumRowsKernel<Single>", kernels);
        Assert.Contains("GpuNormalizerRunner.SumRowsKernel<Double>", kernels);
        foreach (string kernel in new[] { "FloatModulator.AttentionForwardKernel", "FloatModulator.AttentionKeysKernel", "FloatModulator.AttentionQueriesKernel", "DoubleModulator.AttentionForwardKernel", "DoubleModulator.AttentionKeysKernel", "DoubleModulator.AttentionQueriesKernel" })
        {
            Assert.Contains($"MultiMax2Gpu.{kernel}", kernels);
            Assert.Contains($"SoftMaxGpu.{kernel}", kernels);
        }

        Assert.Contains("CustomGpu.DoubleModulator.AttentionKeysKernel", kernels);
        Assert.Contains("MultiMax2Gpu.FloatModulator.AttentionBiasGradientKernel", kernels);
        foreach (string kernel in new[] { "FloatModulator.CrossEntropyStatisticsKernel", "FloatModulator.CrossEntropyClassesKernel", "FloatModulator.CrossEntropyTokensKernel", "DoubleModulator.CrossEntropyClassesKernel" })
        {
            Assert.Contains($"MultiMax2Gpu.{kernel}", kernels);
        }

        Assert.Contains("KitchenGpu.DoubleModulator.CrossEntropyTokensKernel", kernels);
        Assert.Contains("GpuNormalizerRunner.SumPartialsKernel<Single>", kernels);
        Assert.Contains("GpuAttentionRunner.OutputDotsKernel<Double>", kernels);
        Assert.Contains("GpuAttentionRunner.SinkGradientKernel<Single>", kernels);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void CompilesToPtx(string kernel)
    {
        MethodInfo method = AllKernels[kernel];

        // A failed compile leaves its context unusable: one context per kernel.
        using Context context = Context.Create(builder => builder.EnableAlgorithms());
        using var backend = new PTXBackend(context, new CudaCapabilityContext(Architecture), Architecture, CudaInstructionSet.ISA_70, null);
        // The kernels that take their index as a parameter are implicitly grouped; the others launch with explicit groups.
        bool implicitlyGrouped = method.GetParameters() is [{ ParameterType: var first }, ..] && first == typeof(Index1D);
        var compiled = (PTXCompiledKernel)backend.Compile(
            implicitlyGrouped ? EntryPointDescription.FromImplicitlyGroupedKernel(method) : EntryPointDescription.FromExplicitlyGroupedKernel(method),
            KernelSpecialization.Empty);

        Assert.Contains(".entry", compiled.PTXAssembly, StringComparison.Ordinal);
        Assert.Contains(".target sm_70", compiled.PTXAssembly, StringComparison.Ordinal);
    }

    private static (string Name, MethodInfo Method) Runtime(string type, Delegate kernel) =>
        ($"{type}.{kernel.Method.Name}<{kernel.Method.GetGenericArguments()[0].Name}>", kernel.Method);

    private static (string Name, MethodInfo Method) SumRows<T, TElement>()
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElement : struct, IGpuElement<T>
    {
        Action<ArrayView<T>, ArrayView<T>, int> kernel = GpuNormalizerRunner.SumRowsKernel<T, TElement>;
        return ($"{nameof(GpuNormalizerRunner)}.{nameof(GpuNormalizerRunner.SumRowsKernel)}<{typeof(T).Name}>", kernel.Method);
    }

    /// <summary>The runtime's generic kernels over each σ struct a generated class declares.</summary>
    private static IEnumerable<(string Name, MethodInfo Method)> KernelsOver(Type gpuClass)
    {
        foreach (Type modulator in gpuClass.GetNestedTypes(BindingFlags.NonPublic).Where(type => type.IsValueType))
        {
            Type element = modulator.GetInterfaces().Single(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IGpuModulator<>)).GetGenericArguments()[0];
            Type traits = element == typeof(float) ? typeof(GpuSingle) : typeof(GpuDouble);
            foreach (MethodInfo kernel in GenericKernels)
            {
                string prefix = kernel.DeclaringType == typeof(GpuAttentionKernels) ? "Attention" : kernel.DeclaringType == typeof(GpuCrossEntropyKernels) ? "CrossEntropy" : "";
                yield return ($"{gpuClass.Name}.{modulator.Name}.{prefix}{kernel.Name}", kernel.MakeGenericMethod(element, traits, modulator));
            }
        }
    }
}
