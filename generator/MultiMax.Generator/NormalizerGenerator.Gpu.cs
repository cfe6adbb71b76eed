using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using MultiMax.Generator.Diagnostics;
using MultiMax.Generator.Emit;
using MultiMax.Generator.Model;

namespace MultiMax.Generator;

public sealed partial class NormalizerGenerator
{
    /// <summary>The runtime type the ILGPU output calls; its presence means ILGPU is referenced too.</summary>
    internal const string GpuRunnerName = "MultiMax.Gpu.CompilerServices.GpuNormalizerRunner";

    /// <summary>
    /// Emits the nested static class <c>&lt;Name&gt;Gpu</c> once per normalizer name (its float and double overloads
    /// share it), only in compilations that reference MultiMax.Gpu.
    /// </summary>
    private static void RegisterGpuClasses(IncrementalGeneratorInitializationContext context, IncrementalValueProvider<ImmutableArray<NormalizerSpec>> specs,
        IncrementalValuesProvider<BackendDiagnostic> backendDiagnostics)
    {
        IncrementalValueProvider<BackendSupport> gpuSupport = context.CompilationProvider
            .Select(static (compilation, _) => Support(compilation, GpuRunnerName, "ILGPU"))
            .WithTrackingName(TrackingNames.GpuAvailable);

        RegisterGroupedBackend(
            context, specs, backendDiagnostics, gpuSupport, TrackingNames.GpuClasses, Backends.Gpu, GpuEmitter.Emit,
            DiagnosticDescriptors.IlgpuWithoutMultiMaxGpu);
    }
}
