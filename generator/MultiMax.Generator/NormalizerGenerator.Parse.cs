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
    internal static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken token) =>
        ParseSource((IMethodSymbol)context.TargetSymbol, (MethodDeclarationSyntax)context.TargetNode, context.Attributes[0], token);

    /// <summary>The checks of <see cref="Parse"/> on a declaration in this compilation, from its symbol and syntax.</summary>
    private static ParseResult ParseSource(IMethodSymbol method, MethodDeclarationSyntax syntax, AttributeData normalizer, CancellationToken token)
    {

        // A second defining declaration of the same partial method is the compiler's CS0756: the first one is parsed,
        // the others add nothing (a second model would also need the same generated files).
        if (IsRepeatedDefinition(method))
        {
            return ParseResult.Nothing;
        }

        var diagnostics = ImmutableArray.CreateBuilder<DiagnosticInfo>();
        LocationInfo? location = LocationInfo.From(syntax.Identifier.GetLocation());

        if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MethodNotPartial, location, method.Name));
        }
        else if (syntax.Body is not null || syntax.ExpressionBody is not null || syntax.Modifiers.Any(SyntaxKind.ExternKeyword)
                 || method.PartialImplementationPart is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MethodHasBody, location, method.Name));
        }

        if (syntax.SyntaxTree.Options is CSharpParseOptions { LanguageVersion: < LanguageVersion.CSharp11 } options)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.LanguageVersionTooLow, location, method.Name, options.LanguageVersion.ToDisplayString()));
        }

        CheckContainingTypes(syntax.Ancestors().OfType<TypeDeclarationSyntax>(), method.Name, location, diagnostics);

        string modifiers = string.Join(" ", syntax.Modifiers.Where(m => !m.IsKind(SyntaxKind.PartialKeyword)).Select(m => m.Text));
        ParseResult result = ParseDeclaration(method, normalizer, method.ContainingType, modifiers, location, diagnostics, token);
        return result.Spec is null && IsBodilessPartialDefinition(method, syntax) ? ExplainMissingImplementation(result, method.Name) : result;
    }

    /// <summary>
    /// A <c>partial</c> definition with an access modifier and no implementing part anywhere: one that the compiler
    /// reports as CS8795 when the generator gives it none (without an access modifier, a partial void method may
    /// legally have no implementation).
    /// </summary>
    private static bool IsBodilessPartialDefinition(IMethodSymbol method, MethodDeclarationSyntax syntax) =>
        syntax.Modifiers.Any(SyntaxKind.PartialKeyword) && !syntax.Modifiers.Any(SyntaxKind.ExternKeyword)
        && syntax.Modifiers.Any(m => m.IsKind(SyntaxKind.PublicKeyword) || m.IsKind(SyntaxKind.InternalKeyword)
                                     || m.IsKind(SyntaxKind.PrivateKeyword) || m.IsKind(SyntaxKind.ProtectedKeyword))
        && syntax.Body is null && syntax.ExpressionBody is null && method.PartialImplementationPart is null;

    /// <summary>
    /// A declaration with an error gets no generated code, so the compiler adds CS8795 ("must have an implementation
    /// part") for it. Errors cannot be suppressed; instead the first error says that CS8795 follows from the errors.
    /// </summary>
    private static ParseResult ExplainMissingImplementation(ParseResult result, string methodName)
    {
        DiagnosticInfo[] diagnostics = result.Diagnostics.ToArray();
        int first = System.Array.FindIndex(diagnostics, d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);
        if (first < 0)
        {
            return result;
        }

        diagnostics[first] = diagnostics[first] with
        {
            Consequence = $"Until the MMX errors of '{methodName}' are fixed, MultiMax generates no implementation of it, which is why the compiler also reports CS8795",
        };
        return result with { Diagnostics = diagnostics.ToEquatableArray() };
    }

    /// <summary>
    /// Every type that will receive generated members must be partial, visible from another file (not <c>file</c>),
    /// and able to hold nested classes (not an interface with in/out type parameters).
    /// </summary>
    private static void CheckContainingTypes(
        IEnumerable<TypeDeclarationSyntax> types, string normalizer, LocationInfo? location, ImmutableArray<DiagnosticInfo>.Builder diagnostics)
    {
        foreach (TypeDeclarationSyntax type in types)
        {
            if (!type.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.ContainingTypeNotPartial, LocationInfo.From(type.Identifier.GetLocation()), type.Identifier.ValueText, normalizer));
            }

            if (type.Modifiers.Any(SyntaxKind.FileKeyword))
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.UnsupportedContainingType, location, normalizer, type.Identifier.ValueText,
                    "a file-local type, which the generated code in another file cannot see"));
            }
            else if (type is InterfaceDeclarationSyntax { TypeParameterList: { } typeParameters }
                     && typeParameters.Parameters.Any(p => !p.VarianceKeyword.IsKind(SyntaxKind.None)))
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.UnsupportedContainingType, location, normalizer, type.Identifier.ValueText,
                    "an interface with in/out type parameters, which cannot hold the generated nested classes"));
            }
        }
    }

    /// <summary>
    /// The checks and the model that do not depend on syntax, shared by declarations in this compilation and those
    /// imported with <c>[NormalizersFrom]</c>: the signature, the modulator, agreement with overloads, the parameters
    /// argument, and the names the generated members take in <paramref name="host"/>, the type that receives them.
    /// </summary>
    private static ParseResult ParseDeclaration(
        IMethodSymbol method, AttributeData normalizer, INamedTypeSymbol host, string modifiers, LocationInfo? location,
        ImmutableArray<DiagnosticInfo>.Builder diagnostics, CancellationToken token)
    {
        bool imported = !SymbolEqualityComparer.Default.Equals(host, method.ContainingType);
        var backendDiagnostics = ImmutableArray.CreateBuilder<BackendDiagnostic>();

        if (!method.IsStatic)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MethodNotStatic, location, method.Name));
        }

        if (method.IsGenericMethod)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericMethod, location, method.Name));
        }

        ElementType? elementType = ParseSignature(method, location, diagnostics, out bool takesParameters);
        ModulatorShape shape = ParseModulator(normalizer, method, elementType, diagnostics, token, location);

        if (FindOverloadWithOtherModulator(method, shape, token) is { } overload)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.OverloadModulatorMismatch, location, method.Name,
                overload.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat)));
        }

        // With an invalid Order or an unreadable modulator the number of learnable parameters is unknown: their own
        // diagnostics say enough.
        int learnable = shape.LearnableCount;
        if (elementType is not null && shape.LayoutIsKnown && learnable == 0 && takesParameters)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.UnexpectedParametersArgument, location, method.Name, method.Parameters[3].Name));
        }
        else if (elementType is { } missingType && shape.LayoutIsKnown && learnable > 0 && !takesParameters)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.MissingParametersArgument, location, method.Name,
                learnable == 1 ? "1 learnable parameter" : $"{learnable} learnable parameters", missingType.Keyword()));
        }

        var blockedBackends = new List<string>();
        foreach (GeneratedMember member in GeneratedMembers)
        {
            // An imported normalizer gets only the optional backends: its span operators and layout already exist.
            if (imported && member.Backend is null)
            {
                continue;
            }

            string name = method.Name + member.Suffix;
            if (NameOccupant(host, method, name, member.Method) is not { } occupant)
            {
                continue;
            }

            var taken = DiagnosticInfo.Create(DiagnosticDescriptors.GeneratedNameTaken, location, method.Name, name, member.Description, occupant);
            if (member.Backend is null)
            {
                diagnostics.Add(taken);
            }
            else
            {
                backendDiagnostics.Add(new BackendDiagnostic(member.Backend, taken));
                blockedBackends.Add(member.Backend);
            }
        }

        // The TorchSharp module owns a property per learnable argument of a modulator, named as the argument.
        foreach (LearnableArgument argument in shape.Expression?.Parameters ?? EquatableArray<LearnableArgument>.Empty)
        {
            if (TorchModuleMemberNamed(argument.Name, method.Name + "Module", shape.Expression!) is { } occupant)
            {
                backendDiagnostics.Add(new BackendDiagnostic(Backends.Torch, DiagnosticInfo.Create(
                    DiagnosticDescriptors.GeneratedNameTaken, location, method.Name, argument.Name,
                    $"TorchSharp module's property for the learnable argument of {shape.ModulatorName}", occupant)));
                blockedBackends.Add(Backends.Torch);
            }
        }

        if (diagnostics.Count > 0 || elementType is null)
        {
            return new ParseResult(null, diagnostics.ToImmutable().ToEquatableArray(), backendDiagnostics.ToImmutable().ToEquatableArray());
        }

        var spec = new NormalizerSpec(
            Namespace: host.ContainingNamespace.IsGlobalNamespace ? null : NamespaceName(host.ContainingNamespace),
            ContainingTypes: ContainingTypes(host),
            MethodName: method.Name,
            Modifiers: modifiers,
            ElementType: elementType.Value,
            Output: shape.Output,
            Terms: shape.BuildTerms(),
            ScaleIndex: shape.Affine ? learnable - 2 : -1,
            ParameterCount: learnable,
            Names: new SignatureNames(
                method.Parameters[0].Name, method.Parameters[1].Name, method.Parameters[2].Name,
                takesParameters ? method.Parameters[3].Name : null,
                Scoped: method.Parameters.Select((p, i) => p.ScopedKind == ScopedKind.None ? 0 : 1 << i).Sum()),
            IsExtension: method.IsExtensionMethod,
            BlockedBackends: blockedBackends.Distinct().ToEquatableArray(),
            DeclaringType: imported ? TypeName(method.ContainingType) : null,
            Modulator: shape.Expression);
        return new ParseResult(spec, EquatableArray<DiagnosticInfo>.Empty, backendDiagnostics.ToImmutable().ToEquatableArray());
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
        if (SignatureProblem(method, element) is { } problem)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.InvalidSignature, LocationInfo.From(problem.Parameter?.Locations.FirstOrDefault()) ?? location,
                method.Name, problem.What));
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

    /// <summary>
    /// What keeps <paramref name="method"/> from the normalizer signature, naming the first parameter at fault (null when
    /// the fault is the return type or the parameter count), or null when the signature is right.
    /// </summary>
    private static (string What, IParameterSymbol? Parameter)? SignatureProblem(IMethodSymbol method, ITypeSymbol? element)
    {
        ImmutableArray<IParameterSymbol> parameters = method.Parameters;
        if (!method.ReturnsVoid)
        {
            return ($"it returns '{Display(method.ReturnType)}'", null);
        }

        if (parameters.Length is not (3 or 4))
        {
            return ($"it has {parameters.Length} parameter{(parameters.Length == 1 ? "" : "s")}, not 3 (x, y, rowLength) or 4 (x, y, rowLength, parameters)", null);
        }

        foreach (IParameterSymbol parameter in parameters)
        {
            string? modifier = parameter.IsParams ? "params" : parameter.RefKind switch
            {
                RefKind.Ref => "ref",
                RefKind.Out => "out",
                RefKind.In => "in",
                RefKind.None => null,
                _ => "ref readonly",
            };
            if (modifier is not null)
            {
                return ($"parameter '{parameter.Name}' is '{modifier}'", parameter);
            }
        }

        string t = element is null ? "T" : Display(element);
        (IParameterSymbol Parameter, bool IsRight, string Expected)[] positions =
        {
            (parameters[0], element is not null, "ReadOnlySpan<T>"),
            (parameters[1], element is not null && SymbolEqualityComparer.Default.Equals(SpanElement(parameters[1], "Span"), element), $"Span<{t}>"),
            (parameters[2], parameters[2].Type.SpecialType == SpecialType.System_Int32, "int"),
        };
        foreach ((IParameterSymbol parameter, bool isRight, string expected) in positions)
        {
            if (!isRight)
            {
                return ($"parameter '{parameter.Name}' is '{Display(parameter.Type)}', not '{expected}'", parameter);
            }
        }

        if (parameters.Length == 4 && !SymbolEqualityComparer.Default.Equals(SpanElement(parameters[3], "ReadOnlySpan"), element))
        {
            return ($"parameter '{parameters[3].Name}' is '{Display(parameters[3].Type)}', not 'ReadOnlySpan<{t}>'", parameters[3]);
        }

        return null;

        static string Display(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
    }

    /// <summary>The T of a <c>System.Span&lt;T&gt;</c> or <c>System.ReadOnlySpan&lt;T&gt;</c> parameter, else null.</summary>
    private static ITypeSymbol? SpanElement(IParameterSymbol? parameter, string spanName) =>
        parameter?.Type is INamedTypeSymbol { Name: var name, Arity: 1, ContainingNamespace: { Name: "System" } ns } span
        && name == spanName && ns.ContainingNamespace.IsGlobalNamespace
            ? span.TypeArguments[0]
            : null;
}
