using System;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using MultiMax.Gpu;
using MultiMax.Gpu.CompilerServices;

namespace MultiMax.Benchmarks;

/// <summary>
/// Every GPU kernel over the built-in normalizers' σ structs compiled to PTX with no GPU (sm_70): its instruction count
/// and static shared memory, to compare two builds when no GPU is at hand to time them.
/// </summary>
internal static class PtxReport
{
    /// <summary>The runtime's generic kernels (internal there: named, not referenced).</summary>
    private static readonly (Type Kernels, string Name)[] Kernels =
    [
        (typeof(GpuRowKernels), "ForwardKernel"),
        (typeof(GpuRowKernels), "BackwardKernel"),
        (typeof(GpuRowKernels), "LogForwardKernel"),
        (typeof(GpuRowKernels), "LogBackwardKernel"),
        (typeof(GpuAttentionKernels), "ForwardKernel"),
        (typeof(GpuAttentionKernels), "KeysKernel"),
        (typeof(GpuAttentionKernels), "QueriesKernel"),
        (typeof(GpuAttentionKernels), "BiasGradientKernel"),
        (typeof(GpuCrossEntropyKernels), "StatisticsKernel"),
        (typeof(GpuCrossEntropyKernels), "ClassesKernel"),
        (typeof(GpuCrossEntropyKernels), "TokensKernel"),
    ];

    public static void Run()
    {
        Console.WriteLine("| kernel | σ | PTX instructions | static shared bytes |");
        Console.WriteLine("|---|---|---:|---:|");
        foreach (Type gpuClass in typeof(GpuNormalizers).GetNestedTypes().OrderBy(type => type.Name))
        {
            foreach (Type modulator in gpuClass.GetNestedTypes(BindingFlags.NonPublic).Where(type => type.IsValueType))
            {
                Type element = modulator.GetInterfaces().Single(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IGpuModulator<>)).GetGenericArguments()[0];
                Type traits = element == typeof(float) ? typeof(GpuSingle) : typeof(GpuDouble);
                foreach ((Type kernels, string name) in Kernels)
                {
                    MethodInfo method = kernels.GetMethod(name, BindingFlags.Static | BindingFlags.NonPublic)!.MakeGenericMethod(element, traits, modulator);
                    (int instructions, int shared) = Compile(method);
                    Console.WriteLine($"| {kernels.Name}.{name} | {gpuClass.Name}.{modulator.Name} | {instructions} | {shared} |");
                }
            }
        }
    }

    private static (int Instructions, int SharedBytes) Compile(MethodInfo method)
    {
        // A failed compile leaves its context unusable: one context per kernel.
        using Context context = Context.Create(builder => builder.EnableAlgorithms());
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_70), CudaArchitecture.SM_70, CudaInstructionSet.ISA_70, null);
        var compiled = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(method), KernelSpecialization.Empty);
        string[] lines = compiled.PTXAssembly.Split('\n').Select(line => line.Trim()).ToArray();
        // Instructions: what is neither a directive, a label, a brace nor a comment.
        int instructions = lines.Count(line => line.Length > 0 && (char.IsLetter(line[0]) || line[0] == '@') && !line.EndsWith(':'));
        int shared = Regex.Matches(compiled.PTXAssembly, @"\.shared\s+\.align\s+\d+\s+\.b8\s+\w+\[(\d+)\]").Sum(match => int.Parse(match.Groups[1].Value));
        return (instructions, shared);
    }
}
