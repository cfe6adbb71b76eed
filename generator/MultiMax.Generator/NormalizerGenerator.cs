using Microsoft.CodeAnalysis;
using MultiMax.Generator.Emit;

namespace MultiMax.Generator;

/// <summary>
/// Turns every <c>[Normalizer]</c> declaration into fused SIMD kernels and a backward pass.
/// The pipeline: <see cref="Parse"/> (symbols → <see cref="Model.NormalizerSpec"/> plus diagnostics, no symbols
/// kept), then one pure emitter per backend (CPU always; TorchSharp and ILGPU when the compilation can use them), then sources
/// added under stable hint names.
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
        public const string Specs = nameof(Specs);
        public const string Diagnostics = nameof(Diagnostics);
        public const string OrphanTerms = nameof(OrphanTerms);
        public const string TorchAvailable = nameof(TorchAvailable);
        public const string TorchModules = nameof(TorchModules);
        public const string GpuAvailable = nameof(GpuAvailable);
        public const string GpuClasses = nameof(GpuClasses);
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ParseResult> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                NormalizerAttributeName,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax,
                transform: static (context, token) => Parse(context, token))
            .WithTrackingName(TrackingNames.Parse);

        context.RegisterSourceOutput(
            parsed.SelectMany(static (result, _) => result.Diagnostics).WithTrackingName(TrackingNames.Diagnostics),
            static (context, diagnostic) => context.ReportDiagnostic(diagnostic.ToDiagnostic()));

        IncrementalValuesProvider<Model.NormalizerSpec> specs = parsed
            .Where(static result => result.Spec is not null)
            .Select(static (result, _) => result.Spec!)
            .WithTrackingName(TrackingNames.Specs);

        context.RegisterSourceOutput(specs, static (context, spec) =>
            context.AddSource(HintNames.For(spec, "Cpu"), CpuEmitter.Emit(spec)));

        RegisterTorchModules(context, specs);
        RegisterGpuClasses(context, specs);
        RegisterOrphanTermWarnings(context, BelowAttributeName);
        RegisterOrphanTermWarnings(context, AboveAttributeName);
    }
}
