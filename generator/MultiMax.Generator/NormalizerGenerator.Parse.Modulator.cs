using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using MultiMax.Generator.Diagnostics;
using MultiMax.Generator.Helpers;
using MultiMax.Generator.Model;

namespace MultiMax.Generator;

public sealed partial class NormalizerGenerator
{
    /// <summary>Reads Order, Affine, Output and every [Below]/[Above] term, checking powers and constants.</summary>
    private static ModulatorShape ParseModulator(
        AttributeData normalizer, IMethodSymbol method, ElementType? elementType,
        ImmutableArray<DiagnosticInfo>.Builder diagnostics, CancellationToken token, LocationInfo? fallbackLocation = null)
    {
        // An imported normalizer's attribute is in metadata: its problems are reported where it is imported.
        LocationInfo? normalizerLocation = LocationInfo.From(normalizer.ApplicationSyntaxReference?.GetSyntax(token)) ?? fallbackLocation;
        var shape = new ModulatorShape();

        foreach (KeyValuePair<string, TypedConstant> argument in normalizer.NamedArguments)
        {
            switch (argument.Key)
            {
                case "Order" when argument.Value.Value is int order:
                    if (order is < 0 or > MaximumPower)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidOrder, normalizerLocation, order, MaximumPower));
                        shape.OrderIsValid = false;
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
                    if (output is not ((int)NormalizerOutputKind.Probabilities or (int)NormalizerOutputKind.LogProbabilities))
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidOutput, normalizerLocation, output));
                    }
                    else
                    {
                        shape.Output = (NormalizerOutputKind)output;
                    }

                    break;
                case "Modulator" when argument.Value.Value is string name:
                    shape.ModulatorName = name;
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

            // σ′ multiplies the coefficient by the power once per call: that product must be finite too.
            if (coefficient is { } c && power is >= 1 and <= MaximumPower && IsFinite(c, elementType) && !IsFinite(c * power, elementType))
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.SlopeOverflow, termLocation, side,
                    c.ToString("R", System.Globalization.CultureInfo.InvariantCulture), power, (elementType ?? ElementType.Double).Keyword()));
            }

            shape.Explicit.Add(new DeclaredTerm(side, power, coefficient, threshold));
        }

        if (shape.ModulatorName is { } modulator)
        {
            shape.Expression = ParseModulatorMethod(method, modulator, shape, normalizerLocation, elementType, diagnostics, token);
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

    /// <summary>A term as written: constants where given, null where learnable.</summary>
    private readonly record struct DeclaredTerm(TermSide Side, int Power, double? Coefficient, double? Threshold);

    /// <summary>The modulator as declared, before parameter indices are assigned.</summary>
    private sealed class ModulatorShape
    {
        public int Order { get; set; }

        /// <summary>False after an Order outside 0–8: the parameter count is then unknown.</summary>
        public bool OrderIsValid { get; set; } = true;

        public bool Affine { get; set; }

        public NormalizerOutputKind Output { get; set; }

        public List<DeclaredTerm> Explicit { get; } = new();

        /// <summary>The method named by <c>Modulator</c>, whose expression is σ; null when σ is made of terms.</summary>
        public string? ModulatorName { get; set; }

        /// <summary>σ read from <see cref="ModulatorName"/>'s expression; null when there is none or it has an error.</summary>
        public SigmaModulator? Expression { get; set; }

        /// <summary>Whether the parameter count is known: not after an invalid Order, nor when the modulator could not be read.</summary>
        public bool LayoutIsKnown => OrderIsValid && (ModulatorName is null || Expression is not null);

        /// <summary>Order-implied terms Below(1), Above(1), Below(2), Above(2), …, then the explicit ones.</summary>
        private IEnumerable<DeclaredTerm> AllTerms =>
            Enumerable.Range(1, Order)
                .SelectMany(n => new[] { new DeclaredTerm(TermSide.Below, n, null, null), new DeclaredTerm(TermSide.Above, n, null, null) })
                .Concat(Explicit);

        public int LearnableCount => ModulatorName is not null ? Expression?.Parameters.Count ?? 0 :
            AllTerms.Sum(t => (t.Coefficient is null ? 1 : 0) + (t.Threshold is null ? 1 : 0)) + (Affine ? 2 : 0);

        public bool SameAs(ModulatorShape other) =>
            Affine == other.Affine && Output == other.Output && ModulatorName == other.ModulatorName && BuildTerms().Equals(other.BuildTerms());

        /// <summary>Assigns the layout: learnable coefficients in term order, then learnable thresholds, then scale and shift.</summary>
        public EquatableArray<ModulatorTerm> BuildTerms()
        {
            if (ModulatorName is not null)
            {
                return EquatableArray<ModulatorTerm>.Empty;
            }

            List<DeclaredTerm> terms = AllTerms.ToList();
            int next = 0;
            var coefficients = terms.Select(t => t.Coefficient is { } c ? TermValue.Folded(c) : TermValue.Learnable(next++)).ToList();
            var thresholds = terms.Select(t => t.Threshold is { } d ? TermValue.Folded(d) : TermValue.Learnable(next++)).ToList();
            return terms.Select((t, i) => new ModulatorTerm(t.Side, t.Power, coefficients[i], thresholds[i])).ToEquatableArray();
        }
    }
}
