using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
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
    private static void RegisterGpuClasses(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<NormalizerSpec> specs)
    {
        // A bool, so that edits which do not change it leave everything downstream cached.
        IncrementalValueProvider<bool> gpuAvailable = context.CompilationProvider
            .Select(static (compilation, _) => compilation.GetTypeByMetadataName(GpuRunnerName) is not null)
            .WithTrackingName(TrackingNames.GpuAvailable);

        IncrementalValuesProvider<OverloadGroup> classes = specs.Collect()
            .Combine(gpuAvailable)
            .SelectMany(static (input, _) => input.Right ? GroupOverloads(input.Left) : ImmutableArray<OverloadGroup>.Empty)
            .WithTrackingName(TrackingNames.GpuClasses);

        context.RegisterSourceOutput(classes, static (context, group) =>
            context.AddSource(HintNames.ForAllOverloads(group.Modulator, "Gpu"), GpuEmitter.Emit(group)));
    }
}
