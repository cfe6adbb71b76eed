using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using MultiMax.Generator.Diagnostics;
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
        // An enum, so that edits which do not change it leave everything downstream cached.
        IncrementalValueProvider<TorchSupport> torchSupport = context.CompilationProvider
            .Select(static (compilation, _) =>
                compilation.GetTypeByMetadataName(TorchRunnerName) is not null ? TorchSupport.Available
                : compilation.ReferencedAssemblyNames.Any(a => a.Name == "TorchSharp") ? TorchSupport.TorchSharpOnly
                : TorchSupport.None)
            .WithTrackingName(TrackingNames.TorchAvailable);

        IncrementalValueProvider<(ImmutableArray<NormalizerSpec> Specs, TorchSupport Support)> input = specs.Collect().Combine(torchSupport);

        IncrementalValuesProvider<OverloadGroup> modules = input
            .SelectMany(static (input, _) => input.Support == TorchSupport.Available ? GroupOverloads(input.Specs) : ImmutableArray<OverloadGroup>.Empty)
            .WithTrackingName(TrackingNames.TorchModules);

        context.RegisterSourceOutput(modules, static (context, module) =>
            context.AddSource(HintNames.ForAllOverloads(module.Modulator, "Torch"), TorchEmitter.Emit(module)));

        // TorchSharp without MultiMax.Torch: say once why no module appears, rather than leave the user guessing.
        context.RegisterSourceOutput(input, static (context, input) =>
        {
            if (input.Support == TorchSupport.TorchSharpOnly && !input.Specs.IsEmpty)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.TorchSharpWithoutMultiMaxTorch, Location.None));
            }
        });
    }

    /// <summary>What the compilation offers the TorchSharp emitter.</summary>
    private enum TorchSupport
    {
        None,
        TorchSharpOnly,
        Available,
    }
}
