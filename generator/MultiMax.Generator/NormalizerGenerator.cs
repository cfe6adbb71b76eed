using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using MultiMax.Generator.Emit;
using MultiMax.Generator.Model;

namespace MultiMax.Generator;

/// <summary>
/// Turns every <c>[Normalizer]</c> declaration into fused SIMD kernels and a backward pass.
/// The pipeline: <see cref="Parse"/> (symbols → <see cref="NormalizerSpec"/> plus diagnostics, no symbols kept), then
/// one pure emitter per output (CPU kernels and the parameter layout always; TorchSharp and ILGPU when the compilation
/// can use them, also for normalizers imported with <c>[NormalizersFrom]</c>), then sources added under unique hint
/// names.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class NormalizerGenerator : IIncrementalGenerator
{
    internal const string NormalizerAttributeName = "MultiMax.NormalizerAttribute";
    internal const string BelowAttributeName = "MultiMax.BelowAttribute";
    internal const string AboveAttributeName = "MultiMax.AboveAttribute";

    /// <summary>Step names, so tests can watch what the incremental driver re-runs.</summary>
    internal static class TrackingNames
    {
        public const string Parse = nameof(Parse);
        public const string Imports = nameof(Imports);
        public const string Specs = nameof(Specs);
        public const string Diagnostics = nameof(Diagnostics);
        public const string OrphanTerms = nameof(OrphanTerms);
        public const string TorchAvailable = nameof(TorchAvailable);
        public const string TorchModules = nameof(TorchModules);
        public const string GpuAvailable = nameof(GpuAvailable);
        public const string GpuClasses = nameof(GpuClasses);
        public const string Layouts = nameof(Layouts);
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ParseResult> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                NormalizerAttributeName,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax,
                transform: static (context, token) => Parse(context, token))
            .WithTrackingName(TrackingNames.Parse);
        IncrementalValuesProvider<ParseResult> imported = ParseImports(context);

        foreach (IncrementalValuesProvider<ParseResult> results in new[] { parsed, imported })
        {
            context.RegisterSourceOutput(
                results.SelectMany(static (result, _) => result.Diagnostics).WithTrackingName(TrackingNames.Diagnostics),
                static (context, diagnostic) => context.ReportDiagnostic(diagnostic.ToDiagnostic()));
        }

        IncrementalValuesProvider<NormalizerSpec> specs = parsed
            .Where(static result => result.Spec is not null)
            .Select(static (result, _) => result.Spec!)
            .WithTrackingName(TrackingNames.Specs);

        context.RegisterSourceOutput(specs, static (context, spec) =>
            context.AddSource(HintNames.For(spec, "Cpu"), CpuEmitter.Emit(spec)));

        // One <Name>Parameters class per name, shared by the float and double overloads.
        IncrementalValuesProvider<OverloadGroup> layouts = specs.Collect()
            .SelectMany(static (specs, _) => GroupOverloads(specs))
            .WithTrackingName(TrackingNames.Layouts);
        context.RegisterSourceOutput(layouts, static (context, group) =>
            context.AddSource(HintNames.ForAllOverloads(group.Modulator, "Parameters"), LayoutEmitter.Emit(group)));

        // The optional backends serve both the declarations here and the imported ones.
        IncrementalValueProvider<ImmutableArray<NormalizerSpec>> backendSpecs = specs.Collect()
            .Combine(imported.Where(static result => result.Spec is not null).Select(static (result, _) => result.Spec!).Collect())
            .Select(static (pair, _) => pair.Left.AddRange(pair.Right));
        IncrementalValuesProvider<BackendDiagnostic> backendDiagnostics = parsed.Collect()
            .Combine(imported.Collect())
            .SelectMany(static (pair, _) => pair.Left.AddRange(pair.Right).SelectMany(result => result.BackendDiagnostics).Distinct().ToImmutableArray());
        RegisterTorchModules(context, backendSpecs, backendDiagnostics);
        RegisterGpuClasses(context, backendSpecs, backendDiagnostics);
        RegisterOrphanTermWarnings(context, BelowAttributeName);
        RegisterOrphanTermWarnings(context, AboveAttributeName);
    }
}
