using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using MultiMax.Generator.Emit;
using MultiMax.Generator.Model;

namespace MultiMax.Generator;

public sealed partial class NormalizerGenerator
{
    /// <summary>
    /// Groups the float and double overloads of each normalizer name (from one declaring type): outputs that emit one
    /// class per name use it. Should two sources still claim one name in one class (imports on two parts of a partial
    /// class, which no single parse sees together), the first in a fixed order keeps it, so no file is added twice.
    /// </summary>
    internal static ImmutableArray<OverloadGroup> GroupOverloads(ImmutableArray<NormalizerSpec> specs) =>
        specs
            .GroupBy(spec => (spec.Namespace, spec.ContainingTypes, spec.MethodName, spec.DeclaringType))
            .Select(overloads =>
            {
                NormalizerSpec[] ordered = overloads.OrderBy(spec => spec.ElementType).ToArray();
                return new OverloadGroup(
                    ordered[0],
                    HasFloat: ordered.Any(spec => spec.ElementType == ElementType.Float),
                    HasDouble: ordered.Any(spec => spec.ElementType == ElementType.Double));
            })
            .GroupBy(group => (group.Modulator.Namespace, group.Modulator.ContainingTypes, group.Modulator.MethodName))
            .Select(claims => claims.OrderBy(group => group.Modulator.DeclaringType, StringComparer.Ordinal).First())
            .ToImmutableArray();

    /// <summary>Whether the compilation has the runtime type a backend's output calls, or only the library under it.</summary>
    private static BackendSupport Support(Compilation compilation, string runnerName, string libraryAssembly) =>
        compilation.GetTypeByMetadataName(runnerName) is not null ? BackendSupport.Available
        : compilation.ReferencedAssemblyNames.Any(a => a.Name == libraryAssembly) ? BackendSupport.LibraryOnly
        : BackendSupport.None;

    /// <summary>
    /// Wires a backend that emits one file per normalizer name (TorchSharp, ILGPU): emitted only where
    /// <paramref name="support"/> is <see cref="BackendSupport.Available"/>, and not for a normalizer whose generated
    /// names in this backend are taken (its <see cref="BackendDiagnostic"/>s say so, only here). Where only the library
    /// is referenced, one warning says which package is missing instead of leaving the user to wonder why nothing
    /// appears.
    /// </summary>
    private static void RegisterGroupedBackend(
        IncrementalGeneratorInitializationContext context,
        IncrementalValueProvider<ImmutableArray<NormalizerSpec>> specs,
        IncrementalValuesProvider<BackendDiagnostic> backendDiagnostics,
        IncrementalValueProvider<BackendSupport> support,
        string trackingName,
        string backend,
        Func<OverloadGroup, string> emit,
        DiagnosticDescriptor missingPackage)
    {
        // The support is an enum, so edits that do not change it leave everything downstream cached.
        IncrementalValueProvider<(ImmutableArray<NormalizerSpec> Specs, BackendSupport Support)> input = specs.Combine(support);

        IncrementalValuesProvider<OverloadGroup> groups = input
            .SelectMany((input, _) => input.Support == BackendSupport.Available
                ? GroupOverloads(input.Specs.Where(spec => !spec.BlockedBackends.Contains(backend)).ToImmutableArray())
                : ImmutableArray<OverloadGroup>.Empty)
            .WithTrackingName(trackingName);

        context.RegisterSourceOutput(groups, (context, group) =>
            context.AddSource(HintNames.ForAllOverloads(group.Modulator, backend), emit(group)));

        context.RegisterSourceOutput(backendDiagnostics.Where(d => d.Backend == backend).Combine(support), static (context, pair) =>
        {
            if (pair.Right == BackendSupport.Available)
            {
                context.ReportDiagnostic(pair.Left.Diagnostic.ToDiagnostic());
            }
        });

        context.RegisterSourceOutput(input, (context, input) =>
        {
            if (input.Support == BackendSupport.LibraryOnly && !input.Specs.IsEmpty)
            {
                context.ReportDiagnostic(Diagnostic.Create(missingPackage, Location.None));
            }
        });
    }
}
