using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using MultiMax.Generator.Diagnostics;

namespace MultiMax.Generator;

public sealed partial class NormalizerGenerator
{
    /// <summary>Warns about [Below]/[Above] on a method without [Normalizer]: the term would silently do nothing.</summary>
    private static void RegisterOrphanTermWarnings(IncrementalGeneratorInitializationContext context, string attributeName)
    {
        IncrementalValuesProvider<DiagnosticInfo> orphans = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                attributeName,
                predicate: static (node, _) => node is MethodDeclarationSyntax,
                transform: static (context, _) =>
                {
                    foreach (AttributeData attribute in context.TargetSymbol.GetAttributes())
                    {
                        if (attribute.AttributeClass?.ToDisplayString() == NormalizerAttributeName)
                        {
                            return null;
                        }
                    }

                    AttributeData term = context.Attributes[0];
                    return DiagnosticInfo.Create(
                        DiagnosticDescriptors.TermWithoutNormalizer,
                        LocationInfo.From(term.ApplicationSyntaxReference?.GetSyntax()),
                        term.AttributeClass!.Name.Replace("Attribute", ""),
                        context.TargetSymbol.Name);
                })
            .Where(static diagnostic => diagnostic is not null)
            .Select(static (diagnostic, _) => diagnostic!)
            .WithTrackingName(TrackingNames.OrphanTerms);

        context.RegisterSourceOutput(orphans, static (context, diagnostic) => context.ReportDiagnostic(diagnostic.ToDiagnostic()));
    }
}
