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
    /// <summary>The runtime's kernels generic over a σ struct: every <c>…Kernel&lt;T, TElement, TModulator&gt;</c> of its three kernel classes.</summary>
    private static readonly MethodInfo[] Kernels = new[] { typeof(GpuRowKernels), typeof(GpuAttentionKernels), typeof(GpuCrossEntropyKernels) }
        .SelectMany(type => type.GetMethods(BindingFlags.Static | BindingFlags.NonPublic))
        .Where(method => method.Name.EndsWith("Kernel", StringComparison.Ordinal) && method.GetGenericArguments().Length == 3)
        .ToArray();

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
                foreach (MethodInfo kernel in Kernels)
                {
                    (int instructions, int shared) = Compile(kernel.MakeGenericMethod(element, traits, modulator));
                    Console.WriteLine($"| {kernel.DeclaringType!.Name}.{kernel.Name} | {gpuClass.Name}.{modulator.Name} | {instructions} | {shared} |");
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
