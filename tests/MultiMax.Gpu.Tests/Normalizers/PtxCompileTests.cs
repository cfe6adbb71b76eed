using System;
using System.Collections.Generic;
using System.Linq;
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
/// Every kernel compiles to PTX through ILGPU's PTX backend, with no GPU: the generated kernels of the built-in and
/// the test declarations, and the runtime's parameter-gradient sum. What the CPU accelerator cannot catch (a construct
/// the CUDA backend rejects) fails here.
/// </summary>
public sealed class PtxCompileTests
{
    /// <summary>Volta: the oldest architecture with the warp shuffles and double atomics the kernels may use.</summary>
    private static readonly CudaArchitecture Architecture = CudaArchitecture.SM_70;

    /// <summary>The types whose nested <c>…Gpu</c> classes (or own methods) hold kernels; a generic container closed.</summary>
    private static readonly Type[] KernelHosts = { typeof(GpuNormalizers), typeof(Ops), typeof(Outer<int>.Inner), typeof(GpuNormalizerRunner) };

    public static IEnumerable<object[]> Kernels() =>
        KernelHosts
            .SelectMany(type => type.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic).Append(type))
            .SelectMany(type => type.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(method => method.Name.EndsWith("Kernel", StringComparison.Ordinal) || method.Name.StartsWith("SumRows", StringComparison.Ordinal))
            .Select(method => new object[] { method.DeclaringType!.Name + "." + method.Name });

    [Fact]
    public void EveryGeneratedClassHasItsKernels()
    {
        string[] kernels = Kernels().Select(k => (string)k[0]).ToArray();
        foreach (string normalizer in new[] { "SoftMax", "MultiMax1", "MultiMax2", "MultiMaxV2", "LogMultiMax2" })
        {
            foreach (string kernel in new[] { "ForwardFloatKernel", "BackwardFloatKernel", "ForwardDoubleKernel", "BackwardDoubleKernel" })
            {
                Assert.Contains($"{normalizer}Gpu.{kernel}", kernels);
            }
        }

        Assert.Contains("CustomGpu.BackwardDoubleKernel", kernels);
        Assert.Contains("LogV2Gpu.BackwardFloatKernel", kernels);
        Assert.Contains("ClipGpu.ForwardDoubleKernel", kernels);
        Assert.Contains("GpuNormalizerRunner.SumRowsFloat", kernels);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void CompilesToPtx(string kernel)
    {
        MethodInfo method = Find(kernel);

        // A failed compile leaves its context unusable: one context per kernel.
        using Context context = Context.Create(builder => builder.EnableAlgorithms());
        using var backend = new PTXBackend(context, new CudaCapabilityContext(Architecture), Architecture, CudaInstructionSet.ISA_70, null);
        var compiled = (PTXCompiledKernel)backend.Compile(
            EntryPointDescription.FromExplicitlyGroupedKernel(method), KernelSpecialization.Empty);

        if (Environment.GetEnvironmentVariable("MMX_DUMP_PTX") is { Length: > 0 } folder) System.IO.File.WriteAllText(System.IO.Path.Combine(folder, kernel + ".ptx"), compiled.PTXAssembly);
        Assert.Contains(".entry", compiled.PTXAssembly, StringComparison.Ordinal);
        Assert.Contains(".target sm_70", compiled.PTXAssembly, StringComparison.Ordinal);
    }

    private static MethodInfo Find(string kernel)
    {
        string[] parts = kernel.Split('.');
        Type type = KernelHosts
            .SelectMany(t => t.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic).Append(t))
            .Single(t => t.Name == parts[0]);
        return type.GetMethod(parts[1], BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)!;
    }
}
