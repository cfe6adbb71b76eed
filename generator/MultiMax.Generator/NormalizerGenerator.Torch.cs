using System.Collections.Immutable;
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
    private static void RegisterTorchModules(IncrementalGeneratorInitializationContext context, IncrementalValueProvider<ImmutableArray<NormalizerSpec>> specs,
        IncrementalValuesProvider<BackendDiagnostic> backendDiagnostics)
    {
        IncrementalValueProvider<BackendSupport> torchSupport = context.CompilationProvider
            .Select(static (compilation, _) => Support(compilation, TorchRunnerName, "TorchSharp"))
            .WithTrackingName(TrackingNames.TorchAvailable);

        RegisterGroupedBackend(
            context, specs, backendDiagnostics, torchSupport, TrackingNames.TorchModules, Backends.Torch, TorchEmitter.Emit,
            DiagnosticDescriptors.TorchSharpWithoutMultiMaxTorch);
    }
}
