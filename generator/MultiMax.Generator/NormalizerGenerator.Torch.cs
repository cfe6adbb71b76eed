using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using MultiMax.Generator.Emit;
using MultiMax.Generator.Model;

namespace MultiMax.Generator;

public sealed partial class NormalizerGenerator
{
    /// <summary>The runtime type the TorchSharp output calls; its presence means TorchSharp is referenced too.</summary>
    internal const string TorchRunnerName = "MultiMax.Torch.CompilerServices.TorchNormalizerRunner";

    /// <summary>
    /// Emits <c>&lt;Name&gt;Function</c> and <c>&lt;Name&gt;Module</c> once per normalizer name (its float and double
    /// overloads share them), only in compilations that reference MultiMax.Torch.
    /// </summary>
    private static void RegisterTorchModules(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<NormalizerSpec> specs)
    {
        // A bool, so that edits which do not change it leave everything downstream cached.
        IncrementalValueProvider<bool> torchAvailable = context.CompilationProvider
            .Select(static (compilation, _) => compilation.GetTypeByMetadataName(TorchRunnerName) is not null)
            .WithTrackingName(TrackingNames.TorchAvailable);

        IncrementalValuesProvider<TorchModuleSpec> modules = specs.Collect()
            .Combine(torchAvailable)
            .SelectMany(static (input, _) => input.Right ? GroupOverloads(input.Left) : ImmutableArray<TorchModuleSpec>.Empty)
            .WithTrackingName(TrackingNames.TorchModules);

        context.RegisterSourceOutput(modules, static (context, module) =>
            context.AddSource(HintNames.ForAllOverloads(module.Modulator, "Torch"), TorchEmitter.Emit(module)));
    }

    private static ImmutableArray<TorchModuleSpec> GroupOverloads(ImmutableArray<NormalizerSpec> specs) =>
        specs
            .GroupBy(spec => (spec.Namespace, spec.ContainingTypes, spec.MethodName))
            .Select(overloads =>
            {
                NormalizerSpec[] ordered = overloads.OrderBy(spec => spec.ElementType).ToArray();
                return new TorchModuleSpec(
                    ordered[0],
                    FusesFloat: ordered.Any(spec => spec.ElementType == ElementType.Float),
                    FusesDouble: ordered.Any(spec => spec.ElementType == ElementType.Double));
            })
            .ToImmutableArray();
}
