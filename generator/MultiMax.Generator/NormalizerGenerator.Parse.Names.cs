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
    /// <summary>Whether an earlier declaration in the same type defines a method of the same name and parameter types.</summary>
    private static bool IsRepeatedDefinition(IMethodSymbol method)
    {
        if (method.Locations.FirstOrDefault() is not { } own)
        {
            return false;
        }

        return method.ContainingType.GetMembers(method.Name).OfType<IMethodSymbol>().Any(other =>
            !SymbolEqualityComparer.Default.Equals(other, method)
            && other.Parameters.Select(p => p.Type.ToDisplayString()).SequenceEqual(method.Parameters.Select(p => p.Type.ToDisplayString()))
            && other.Locations.FirstOrDefault() is { } location
            && IsBefore(location, own));

        static bool IsBefore(Location first, Location second)
        {
            int files = string.CompareOrdinal(first.SourceTree?.FilePath, second.SourceTree?.FilePath);
            return files < 0 || (files == 0 && first.SourceSpan.Start < second.SourceSpan.Start);
        }
    }

    /// <summary>A member the generator adds beside every normalizer <c>Name</c>: <c>Name + Suffix</c>.</summary>
    /// <param name="Backend">The optional backend that emits it, or null when it is always emitted.</param>
    private sealed record GeneratedMember(string Suffix, string Description, string? Backend, bool IsBackwardMethod = false);

    private static readonly GeneratedMember[] GeneratedMembers =
    {
        new("Backward", "backward pass", null, IsBackwardMethod: true),
        new("Parameters", "parameter layout class", null),
        new("Function", "TorchSharp autograd function", Backends.Torch),
        new("Module", "TorchSharp module", Backends.Torch),
        new("Gpu", "ILGPU class", Backends.Gpu),
    };

    /// <summary>
    /// Why <paramref name="name"/> cannot be added to <paramref name="type"/>, which gets the normalizer's generated members, or null when it can: a containing type has
    /// that name (a member cannot be named like its type), a type parameter does, or the type or a base type declares a
    /// member of that name — for the backward method, only a member that is not a method of another signature.
    /// </summary>
    private static string? NameOccupant(INamedTypeSymbol type, IMethodSymbol method, string name, bool isBackwardMethod)
    {
        if (type.Name == name)
        {
            return $"it is the name of the containing type '{type.ToDisplayString()}'";
        }

        for (INamedTypeSymbol? container = type; container is not null; container = container.ContainingType)
        {
            if (container.TypeParameters.Any(p => p.Name == name))
            {
                return $"'{container.ToDisplayString()}' has a type parameter of that name";
            }
        }

        for (INamedTypeSymbol? owner = type; owner is not null; owner = owner.BaseType)
        {
            foreach (ISymbol member in owner.GetMembers(name))
            {
                if (member.IsImplicitlyDeclared || (!SymbolEqualityComparer.Default.Equals(owner, type) && member.DeclaredAccessibility == Accessibility.Private))
                {
                    continue;
                }

                if (isBackwardMethod && member is IMethodSymbol other && !HasBackwardSignature(other, method))
                {
                    continue; // an overload of another signature: both can exist
                }

                return $"'{owner.ToDisplayString()}' already declares a member of that name";
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="other"/> has the parameter types the backward of <paramref name="method"/> gets.</summary>
    private static bool HasBackwardSignature(IMethodSymbol other, IMethodSymbol method)
    {
        ITypeSymbol? element = SpanElement(method.Parameters.ElementAtOrDefault(0), "ReadOnlySpan");
        if (element is null)
        {
            return false;
        }

        string readOnlySpan = $"System.ReadOnlySpan<{element.ToDisplayString()}>", span = $"System.Span<{element.ToDisplayString()}>";
        var expected = new List<string> { readOnlySpan, readOnlySpan, readOnlySpan, span, "int" };
        if (method.Parameters.Length == 4)
        {
            expected.AddRange(new[] { readOnlySpan, span });
        }

        return other.Parameters.Select(p => p.Type.ToDisplayString()).SequenceEqual(expected);
    }

    /// <summary>
    /// The enclosing types, outermost first, as the generated file re-declares them: the keyword of the declaration,
    /// the name, and the type parameters with their variance (their attributes stay with the user's declaration).
    /// </summary>
    private static EquatableArray<ContainingType> ContainingTypes(INamedTypeSymbol host)
    {
        var types = new List<ContainingType>();
        for (INamedTypeSymbol? type = host; type is not null; type = type.ContainingType)
        {
            string keyword = type switch
            {
                { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
                { IsRecord: true } => "record",
                { TypeKind: TypeKind.Struct } => "struct",
                { TypeKind: TypeKind.Interface } => "interface",
                _ => "class",
            };
            types.Add(new ContainingType(
                keyword,
                type.Name,
                type.TypeParameters.Select(p => p.Variance switch
                {
                    VarianceKind.In => "in " + p.Name,
                    VarianceKind.Out => "out " + p.Name,
                    _ => p.Name,
                }).ToEquatableArray()));
        }

        types.Reverse();
        return types.ToEquatableArray();
    }

    /// <summary>The namespace's dotted name, each part unescaped.</summary>
    private static string NamespaceName(INamespaceSymbol ns) =>
        ns.ContainingNamespace is { IsGlobalNamespace: false } parent ? NamespaceName(parent) + "." + ns.Name : ns.Name;

    /// <summary>A type as generated code names it from anywhere: <c>global::MultiMax.Normalizers</c>, keywords escaped.</summary>
    private static string TypeName(INamedTypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
}
