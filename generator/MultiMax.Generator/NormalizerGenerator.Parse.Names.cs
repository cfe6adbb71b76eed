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
    /// <param name="Method">For a generated method, which: a user's overload of another signature can stand beside it.</param>
    private sealed record GeneratedMember(string Suffix, string Description, string? Backend, GeneratedMethod Method = GeneratedMethod.None);

    /// <summary>The generated span methods, whose parameter types <see cref="GeneratedSignatures"/> knows.</summary>
    private enum GeneratedMethod
    {
        None,
        Backward,
        Attention,
        AttentionBackward,
        CrossEntropy,
        CrossEntropyBackward,
    }

    private static readonly GeneratedMember[] GeneratedMembers =
    {
        new("Backward", "backward pass", null, GeneratedMethod.Backward),
        new("Attention", "fused attention", null, GeneratedMethod.Attention),
        new("AttentionBackward", "fused attention backward pass", null, GeneratedMethod.AttentionBackward),
        new("CrossEntropy", "fused output-layer loss", null, GeneratedMethod.CrossEntropy),
        new("CrossEntropyBackward", "fused output-layer loss with gradients", null, GeneratedMethod.CrossEntropyBackward),
        new("Parameters", "parameter layout class", null),
        new("Function", "TorchSharp autograd function", Backends.Torch),
        new("Module", "TorchSharp module", Backends.Torch),
        new("Gpu", "ILGPU class", Backends.Gpu),
    };

    /// <summary>
    /// The members a generated TorchSharp module has besides its parameters' properties: those of
    /// <c>nn.Module&lt;Tensor, Tensor&gt;</c> (checked against TorchSharp by a test), its extension methods that a
    /// property would shadow, and the generated module's own.
    /// </summary>
    internal static readonly string[] TorchModuleMembers =
    {
        "_deviceIndex", "_deviceType", "_internal_buffers", "_internal_params", "_internal_submodules", "_named_buffers",
        "_named_parameters", "_parameters", "_to", "_toEpilog", "add_module", "apply", "buffers", "call", "children",
        "ClearModules", "ConditionallyRegisterBuffer", "ConditionallyRegisterParameter", "Create", "Dispose", "Equals", "eval",
        "Finalize", "forward", "GetDefaultDeviceAndType", "GetHashCode", "GetName", "GetType", "has_buffer", "has_parameter",
        "load", "load_state_dict", "MemberwiseClone", "module_post_hooks", "module_pre_hooks", "modules", "name",
        "named_buffers", "named_children", "named_modules", "named_parameters", "parameters", "post_hooks", "pre_hooks",
        "ReferenceEquals", "register_buffer", "register_forward_hook", "register_forward_pre_hook", "register_module",
        "register_parameter", "RegisterComponents", "ReplaceBuffer", "ReplaceParameter", "save", "save_state_dict",
        "state_dict", "ToString", "train", "training", "zero_grad",
        "to", "cpu", "cuda", "half", "bfloat16",
        "Parameters", "FloatAttentionKernels", "DoubleAttentionKernels", "FloatCrossEntropyKernels", "DoubleCrossEntropyKernels",
    };

    /// <summary>What already has <paramref name="name"/> in the generated module <paramref name="module"/>, or null.</summary>
    private static string? TorchModuleMemberNamed(string name, string module, SigmaModulator modulator) =>
        name == module ? $"it is the name of the module class itself"
        : System.Array.IndexOf(TorchModuleMembers, name) >= 0 ? $"the module already has a member '{name}'"
        : Enumerable.Range(0, modulator.Parameters.Count).Any(k => Modulator.ModulatorMath.ExpressionLocal(modulator, k) == name)
            ? $"the module holds an argument's parameter in a field '{name}'"
        : null;

    /// <summary>
    /// Why <paramref name="name"/> cannot be added to <paramref name="type"/>, which gets the normalizer's generated members, or null when it can: a containing type has
    /// that name (a member cannot be named like its type), a type parameter does, or the type or a base type declares a
    /// member of that name — for the backward method, only a member that is not a method of another signature.
    /// </summary>
    private static string? NameOccupant(INamedTypeSymbol type, IMethodSymbol method, string name, GeneratedMethod generated)
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

                if (generated != GeneratedMethod.None && member is IMethodSymbol other && !HasGeneratedSignature(other, method, generated))
                {
                    continue; // an overload of another signature: both can exist
                }

                return $"'{owner.ToDisplayString()}' already declares a member of that name";
            }
        }

        return null;
    }

    /// <summary>
    /// The parameter types of each overload of the generated method <paramref name="generated"/> for
    /// <paramref name="method"/>, as symbols display them (<see cref="OperatorSignatures"/>, which the emitters print).
    /// </summary>
    private static IEnumerable<IEnumerable<string>> GeneratedSignatures(IMethodSymbol method, GeneratedMethod generated)
    {
        ITypeSymbol? element = SpanElement(method.Parameters.ElementAtOrDefault(0), "ReadOnlySpan");
        if (element is null)
        {
            return Enumerable.Empty<IEnumerable<string>>();
        }

        string t = element.ToDisplayString();
        bool hasParameters = method.Parameters.Length == 4;
        Operand[][] overloads = generated switch
        {
            GeneratedMethod.Backward => [OperatorSignatures.Backward(hasParameters)],
            GeneratedMethod.Attention => [OperatorSignatures.Attention(hasParameters, options: false), OperatorSignatures.Attention(hasParameters, options: true)],
            GeneratedMethod.AttentionBackward =>
                [OperatorSignatures.AttentionBackward(hasParameters, options: false), OperatorSignatures.AttentionBackward(hasParameters, options: true)],
            GeneratedMethod.CrossEntropy => [OperatorSignatures.CrossEntropy(hasParameters)],
            _ => [OperatorSignatures.CrossEntropyBackward(hasParameters)],
        };
        return overloads.Select(operands => OperatorSignatures.DisplayTypes(operands, t));
    }

    /// <summary>Whether <paramref name="other"/> has the parameter types of one of the overloads the generator adds as <paramref name="generated"/>.</summary>
    private static bool HasGeneratedSignature(IMethodSymbol other, IMethodSymbol method, GeneratedMethod generated) =>
        GeneratedSignatures(method, generated).Any(signature => other.Parameters.Select(p => p.Type.ToDisplayString()).SequenceEqual(signature));

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
