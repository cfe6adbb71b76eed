using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using MultiMax.Generator.Diagnostics;
using MultiMax.Generator.Helpers;
using MultiMax.Generator.Model;

namespace MultiMax.Generator;

public sealed partial class NormalizerGenerator
{
    internal const string NormalizersFromAttributeName = "MultiMax.NormalizersFromAttribute";

    /// <summary>
    /// Reads every <c>[NormalizersFrom(typeof(T))]</c> class: each [Normalizer] method of T becomes a model whose
    /// generated TorchSharp and ILGPU classes go into the marked class and call T's span operators, so a library's
    /// normalizers get those backends without a second declaration or a second copy of their CPU kernels.
    /// </summary>
    private static IncrementalValuesProvider<ParseResult> ParseImports(IncrementalGeneratorInitializationContext context) =>
        context.SyntaxProvider
            .ForAttributeWithMetadataName(
                NormalizersFromAttributeName,
                predicate: static (node, _) => node is TypeDeclarationSyntax,
                transform: static (context, token) => ParseImport(context, token))
            .SelectMany(static (results, _) => results)
            .WithTrackingName(TrackingNames.Imports);

    private static EquatableArray<ParseResult> ParseImport(GeneratorAttributeSyntaxContext context, CancellationToken token)
    {
        var host = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (TypeDeclarationSyntax)context.TargetNode;
        var results = new List<ParseResult>();

        // A name gives one set of generated classes per class: a normalizer declared here, or one imported earlier, has it.
        var claimed = host.GetMembers().OfType<IMethodSymbol>()
            .Where(method => method.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == NormalizerAttributeName))
            .Select(method => method.Name)
            .Distinct(StringComparer.Ordinal)
            .ToDictionary(name => name, _ => $"'{host.Name}' declares a normalizer of that name", StringComparer.Ordinal);
        foreach (AttributeData attribute in context.Attributes)
        {
            LocationInfo? location = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(token));
            var source = attribute.ConstructorArguments.FirstOrDefault().Value as INamedTypeSymbol;
            if (source is null or { TypeKind: TypeKind.Error })
            {
                continue; // the compiler reports the broken typeof
            }

            List<(IMethodSymbol Method, AttributeData Normalizer)> normalizers = source.GetMembers().OfType<IMethodSymbol>()
                .Select(method => (method, normalizer: method.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == NormalizerAttributeName)))
                .Where(pair => pair.normalizer is not null)
                .Select(pair => (pair.method, pair.normalizer!))
                .ToList();

            string? nothing =
                SymbolEqualityComparer.Default.Equals(source, host) ? "it is the marked class itself, whose normalizers get every backend already"
                : source.IsUnboundGenericType ? "an unbound generic type has no operators to call; name a constructed one"
                : normalizers.Count == 0 ? "it declares no [Normalizer] method"
                : normalizers.Any(n => !context.SemanticModel.Compilation.IsSymbolAccessibleWithin(n.Method, host)) ? "its normalizers are not accessible from here"
                : null;
            if (nothing is not null)
            {
                results.Add(new ParseResult(
                    null,
                    new[] { DiagnosticInfo.Create(DiagnosticDescriptors.NothingToImport, location, host.Name, source.ToDisplayString(), nothing) }.ToEquatableArray(),
                    EquatableArray<BackendDiagnostic>.Empty));
                continue;
            }

            // The marked class and its containers receive the generated classes, as a declaration's would.
            var containers = ImmutableArray.CreateBuilder<DiagnosticInfo>();
            CheckContainingTypes(new[] { syntax }.Concat(syntax.Ancestors().OfType<TypeDeclarationSyntax>()), $"{source.Name}.{normalizers[0].Method.Name}", location, containers);
            if (containers.Count > 0)
            {
                results.Add(new ParseResult(null, containers.ToImmutable().ToEquatableArray(), EquatableArray<BackendDiagnostic>.Empty));
                continue;
            }

            var refused = new HashSet<string>(StringComparer.Ordinal);
            foreach ((IMethodSymbol method, AttributeData normalizer) in normalizers)
            {
                if (claimed.TryGetValue(method.Name, out string? occupant))
                {
                    if (!refused.Add(method.Name))
                    {
                        continue; // its other overload, already reported
                    }

                    results.Add(new ParseResult(
                        null,
                        new[] { DiagnosticInfo.Create(DiagnosticDescriptors.GeneratedNameTaken, location, method.Name, method.Name + "Function", "TorchSharp and ILGPU classes", occupant) }.ToEquatableArray(),
                        EquatableArray<BackendDiagnostic>.Empty));
                    continue;
                }

                // Only a normalizer that has its span operators can be imported: one declared in this compilation must pass
                // its own checks (it reports what fails at its declaration), one from a library must carry its backward.
                bool implemented = method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(token) is MethodDeclarationSyntax declaration
                    ? ParseSource(method, declaration, normalizer, token).Spec is not null
                    : source.GetMembers(method.Name + "Backward").OfType<IMethodSymbol>().Any(backward => HasGeneratedSignature(backward, method, GeneratedMethod.Backward));
                if (!implemented)
                {
                    continue;
                }

                // The generated classes are as accessible as the operator they wrap, and no more than the marked class.
                string accessibility = method.DeclaredAccessibility == Accessibility.Public ? "public" : "internal";
                results.Add(ParseDeclaration(
                    method, normalizer, host, accessibility + " static", location, ImmutableArray.CreateBuilder<DiagnosticInfo>(), token));
            }

            // Overloads of one name (float and double) come from one source and share its classes; a later source
            // may not offer the name again.
            foreach ((IMethodSymbol method, _) in normalizers)
            {
                claimed[method.Name] = $"'{source.ToDisplayString()}', also imported into '{host.Name}', has a normalizer of that name";
            }
        }

        return results.ToEquatableArray();
    }
}
