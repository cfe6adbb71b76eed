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
    /// <summary>The highest order and power accepted: the code unrolls powers, so they must stay small.</summary>
    internal const int MaximumPower = 8;

    /// <summary>
    /// Reads one <c>[Normalizer]</c> declaration into a <see cref="NormalizerSpec"/>, or reports why it cannot be
    /// implemented. Every check runs, so the user sees all problems of a declaration at once.
    /// </summary>
    internal static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken token)
    {
        var method = (IMethodSymbol)context.TargetSymbol;
        var syntax = (MethodDeclarationSyntax)context.TargetNode;
        var diagnostics = ImmutableArray.CreateBuilder<DiagnosticInfo>();
        LocationInfo? location = LocationInfo.From(syntax.Identifier.GetLocation());

        if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MethodNotPartial, location, method.Name));
        }
        else if (syntax.Body is not null || syntax.ExpressionBody is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MethodHasBody, location, method.Name));
        }

        if (!method.IsStatic)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MethodNotStatic, location, method.Name));
        }

        if (method.IsGenericMethod)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericMethod, location, method.Name));
        }

        if (syntax.SyntaxTree.Options is CSharpParseOptions { LanguageVersion: < LanguageVersion.CSharp11 } options)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.LanguageVersionTooLow, location, method.Name, options.LanguageVersion.ToDisplayString()));
        }

        foreach (TypeDeclarationSyntax type in syntax.Ancestors().OfType<TypeDeclarationSyntax>())
        {
            if (!type.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.ContainingTypeNotPartial, LocationInfo.From(type.Identifier.GetLocation()),
                    type.Identifier.ValueText, method.Name));
            }
        }

        ElementType? elementType = ParseSignature(method, location, diagnostics, out bool takesParameters);
        ModulatorShape shape = ParseModulator(context.Attributes[0], method, elementType, diagnostics, token);

        if (FindOverloadWithOtherModulator(method, shape, token) is { } overload)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.OverloadModulatorMismatch, location, method.Name,
                overload.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat)));
        }

        int learnable = shape.LearnableCount;
        if (elementType is not null && learnable == 0 && takesParameters)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.UnexpectedParametersArgument, location, method.Name, method.Parameters[3].Name));
        }
        else if (elementType is { } missingType && learnable > 0 && !takesParameters)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.MissingParametersArgument, location, method.Name, learnable, missingType.Keyword()));
        }

        if (diagnostics.Count > 0 || elementType is null)
        {
            return new ParseResult(null, diagnostics.ToImmutable().ToEquatableArray());
        }

        var spec = new NormalizerSpec(
            Namespace: method.ContainingNamespace.IsGlobalNamespace ? null : method.ContainingNamespace.ToDisplayString(),
            ContainingTypes: ContainingTypes(syntax),
            MethodName: method.Name,
            Modifiers: string.Join(" ", syntax.Modifiers.Where(m => !m.IsKind(SyntaxKind.PartialKeyword)).Select(m => m.Text)),
            ElementType: elementType.Value,
            Output: shape.Output,
            Terms: shape.BuildTerms(),
            ScaleIndex: shape.Affine ? learnable - 2 : -1,
            ParameterCount: learnable,
            Names: new SignatureNames(
                method.Parameters[0].Name, method.Parameters[1].Name, method.Parameters[2].Name,
                takesParameters ? method.Parameters[3].Name : null));
        return new ParseResult(spec, EquatableArray<DiagnosticInfo>.Empty);
    }

    /// <summary>
    /// Checks <c>void Name(ReadOnlySpan&lt;T&gt;, Span&lt;T&gt;, int[, ReadOnlySpan&lt;T&gt;])</c> and returns T, or
    /// null after reporting why the signature cannot be implemented.
    /// </summary>
    private static ElementType? ParseSignature(
        IMethodSymbol method, LocationInfo? location, ImmutableArray<DiagnosticInfo>.Builder diagnostics, out bool takesParameters)
    {
        ImmutableArray<IParameterSymbol> parameters = method.Parameters;
        takesParameters = parameters.Length == 4;

        ITypeSymbol? element = SpanElement(parameters.ElementAtOrDefault(0), "ReadOnlySpan");
        bool shapeIsValid =
            method.ReturnsVoid
            && parameters.Length is 3 or 4
            && parameters.All(p => p.RefKind == RefKind.None && !p.IsParams)
            && element is not null
            && SymbolEqualityComparer.Default.Equals(SpanElement(parameters[1], "Span"), element)
            && parameters[2].Type.SpecialType == SpecialType.System_Int32
            && (!takesParameters || SymbolEqualityComparer.Default.Equals(SpanElement(parameters[3], "ReadOnlySpan"), element));

        if (!shapeIsValid)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSignature, location, method.Name));
            return null;
        }

        switch (element!.SpecialType)
        {
            case SpecialType.System_Single:
                return ElementType.Float;
            case SpecialType.System_Double:
                return ElementType.Double;
            case SpecialType.None when element is ITypeParameterSymbol && method.IsGenericMethod:
                return null; // reported as a generic method already
            default:
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.UnsupportedElementType, location, method.Name, element.ToDisplayString()));
                return null;
        }
    }

    /// <summary>The T of a <c>System.Span&lt;T&gt;</c> or <c>System.ReadOnlySpan&lt;T&gt;</c> parameter, else null.</summary>
    private static ITypeSymbol? SpanElement(IParameterSymbol? parameter, string spanName) =>
        parameter?.Type is INamedTypeSymbol { Name: var name, Arity: 1, ContainingNamespace: { Name: "System" } ns } span
        && name == spanName && ns.ContainingNamespace.IsGlobalNamespace
            ? span.TypeArguments[0]
            : null;

    /// <summary>Reads Order, Affine, Output and every [Below]/[Above] term, checking powers and constants.</summary>
    private static ModulatorShape ParseModulator(
        AttributeData normalizer, IMethodSymbol method, ElementType? elementType,
        ImmutableArray<DiagnosticInfo>.Builder diagnostics, CancellationToken token)
    {
        LocationInfo? normalizerLocation = LocationInfo.From(normalizer.ApplicationSyntaxReference?.GetSyntax(token));
        var shape = new ModulatorShape();

        foreach (KeyValuePair<string, TypedConstant> argument in normalizer.NamedArguments)
        {
            switch (argument.Key)
            {
                case "Order" when argument.Value.Value is int order:
                    if (order is < 0 or > MaximumPower)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidOrder, normalizerLocation, order, MaximumPower));
                    }
                    else
                    {
                        shape.Order = order;
                    }

                    break;
                case "Affine" when argument.Value.Value is bool affine:
                    shape.Affine = affine;
                    break;
                case "Output" when argument.Value.Value is int output:
                    shape.Output = (NormalizerOutputKind)output;
                    break;
            }
        }

        // Explicit terms apply in declaration order, whichever attribute they use.
        IEnumerable<AttributeData> explicitTerms = method.GetAttributes()
            .Where(a => a.AttributeClass?.ToDisplayString() is BelowAttributeName or AboveAttributeName)
            .OrderBy(a => a.ApplicationSyntaxReference?.SyntaxTree.FilePath, StringComparer.Ordinal)
            .ThenBy(a => a.ApplicationSyntaxReference?.Span.Start ?? 0);

        foreach (AttributeData attribute in explicitTerms)
        {
            TermSide side = attribute.AttributeClass!.Name == "BelowAttribute" ? TermSide.Below : TermSide.Above;
            LocationInfo? termLocation = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(token));
            int power = attribute.ConstructorArguments.FirstOrDefault().Value is int p ? p : 1;
            if (power is < 1 or > MaximumPower)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidPower, termLocation, side, power, MaximumPower));
            }

            double? coefficient = null, threshold = null;
            foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
            {
                if (argument.Value.Value is not double value)
                {
                    continue;
                }

                if (!IsFinite(value, elementType))
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.NonFiniteConstant, termLocation, argument.Key, side,
                        value.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                        (elementType ?? ElementType.Double).Keyword()));
                }

                if (argument.Key == "Coefficient")
                {
                    coefficient = value;
                }
                else if (argument.Key == "Threshold")
                {
                    threshold = value;
                }
            }

            shape.Explicit.Add(new DeclaredTerm(side, power, coefficient, threshold));
        }

        return shape;
    }

    /// <summary>
    /// Overloads of one name (float and double) share their generated Function, Module and GPU classes, so they must
    /// declare the same modulator: returns the first [Normalizer] overload that does not.
    /// </summary>
    private static IMethodSymbol? FindOverloadWithOtherModulator(IMethodSymbol method, ModulatorShape shape, CancellationToken token)
    {
        foreach (IMethodSymbol overload in method.ContainingType.GetMembers(method.Name).OfType<IMethodSymbol>())
        {
            AttributeData? normalizer = overload.GetAttributes()
                .FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == NormalizerAttributeName);
            if (SymbolEqualityComparer.Default.Equals(overload, method) || normalizer is null)
            {
                continue;
            }

            // Its own problems are reported on its own declaration.
            ModulatorShape other = ParseModulator(normalizer, overload, null, ImmutableArray.CreateBuilder<DiagnosticInfo>(), token);
            if (!other.SameAs(shape))
            {
                return overload;
            }
        }

        return null;
    }

    /// <summary>A constant must stay finite in the element type: 1e300 is a fine double but an infinite float.</summary>
    private static bool IsFinite(double value, ElementType? elementType) =>
        elementType is ElementType.Float
            ? !float.IsNaN((float)value) && !float.IsInfinity((float)value)
            : !double.IsNaN(value) && !double.IsInfinity(value);

    private static EquatableArray<ContainingType> ContainingTypes(MethodDeclarationSyntax syntax) =>
        syntax.Ancestors().OfType<TypeDeclarationSyntax>().Reverse().Select(type => new ContainingType(
            type switch
            {
                RecordDeclarationSyntax record when record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) => "record struct",
                RecordDeclarationSyntax => "record",
                _ => type.Keyword.ValueText,
            },
            type.Identifier.ValueText + type.TypeParameterList?.ToString())).ToEquatableArray();

    /// <summary>A term as written: constants where given, null where learnable.</summary>
    private readonly record struct DeclaredTerm(TermSide Side, int Power, double? Coefficient, double? Threshold);

    /// <summary>The modulator as declared, before parameter indices are assigned.</summary>
    private sealed class ModulatorShape
    {
        public int Order { get; set; }

        public bool Affine { get; set; }

        public NormalizerOutputKind Output { get; set; }

        public List<DeclaredTerm> Explicit { get; } = new();

        /// <summary>Order-implied terms Below(1), Above(1), Below(2), Above(2), …, then the explicit ones.</summary>
        private IEnumerable<DeclaredTerm> AllTerms =>
            Enumerable.Range(1, Order)
                .SelectMany(n => new[] { new DeclaredTerm(TermSide.Below, n, null, null), new DeclaredTerm(TermSide.Above, n, null, null) })
                .Concat(Explicit);

        public int LearnableCount =>
            AllTerms.Sum(t => (t.Coefficient is null ? 1 : 0) + (t.Threshold is null ? 1 : 0)) + (Affine ? 2 : 0);

        public bool SameAs(ModulatorShape other) =>
            Affine == other.Affine && Output == other.Output && BuildTerms().Equals(other.BuildTerms());

        /// <summary>Assigns the layout: learnable coefficients in term order, then learnable thresholds, then scale and shift.</summary>
        public EquatableArray<ModulatorTerm> BuildTerms()
        {
            List<DeclaredTerm> terms = AllTerms.ToList();
            int next = 0;
            var coefficients = terms.Select(t => t.Coefficient is { } c ? TermValue.Folded(c) : TermValue.Learnable(next++)).ToList();
            var thresholds = terms.Select(t => t.Threshold is { } d ? TermValue.Folded(d) : TermValue.Learnable(next++)).ToList();
            return terms.Select((t, i) => new ModulatorTerm(t.Side, t.Power, coefficients[i], thresholds[i])).ToEquatableArray();
        }
    }
}
