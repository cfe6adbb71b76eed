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
using MultiMax.Generator.Modulator;

namespace MultiMax.Generator;

public sealed partial class NormalizerGenerator
{
    /// <summary>
    /// Reads the method named by <c>Modulator</c> into σ's tree: its signature (x, then learnable parameters with finite
    /// defaults) and its one expression, construct by construct. Reports every problem at its syntax and returns null
    /// if there was one.
    /// </summary>
    private static SigmaModulator? ParseModulatorMethod(
        IMethodSymbol normalizer, string name, ModulatorShape shape, LocationInfo? normalizerLocation, ElementType? elementType,
        ImmutableArray<DiagnosticInfo>.Builder diagnostics, CancellationToken token)
    {
        var combined = new List<string>();
        if (shape.Order != 0 || !shape.OrderIsValid)
        {
            combined.Add("Order");
        }

        if (shape.Affine)
        {
            combined.Add("Affine");
        }

        if (shape.Explicit.Count > 0)
        {
            combined.Add("[Below]/[Above] terms");
        }

        if (combined.Count > 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModulatorWithTerms, normalizerLocation, normalizer.Name, string.Join(" and ", combined)));
        }

        if (!normalizer.Locations.Any(l => l.IsInSource))
        {
            // An import ([NormalizersFrom]) of a compiled library's normalizer: its modulator's expression is not here to read.
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.InvalidModulatorSignature, normalizerLocation, name,
                "its source is not part of this compilation: a normalizer imported from a compiled library with [NormalizersFrom] cannot name a modulator written as C#"));
            return null;
        }

        INamedTypeSymbol type = normalizer.ContainingType;
        ImmutableArray<ISymbol> members = type.GetMembers(name);
        if (members.Length != 1 || members[0] is not IMethodSymbol method)
        {
            string found = members.Length == 0 ? "it has no member of that name"
                : members.Length > 1 ? $"it has {members.Length} members of that name"
                : $"'{name}' is not a method";
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModulatorNotFound, normalizerLocation, name, normalizer.Name, type.Name, found));
            return null;
        }

        LocationInfo? methodLocation = LocationInfo.From(method.Locations.FirstOrDefault());
        int reported = diagnostics.Count;
        if (!method.IsStatic)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModulatorNotStatic, methodLocation, name));
        }

        if (ModulatorSignatureProblem(method) is { } problem)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidModulatorSignature, methodLocation, name, problem));
            return null;
        }

        var parameters = new List<LearnableArgument>();
        foreach (IParameterSymbol parameter in method.Parameters.Skip(1))
        {
            double? initial = parameter.HasExplicitDefaultValue ? AsDouble(parameter.ExplicitDefaultValue) : null;
            if (initial is not { } value || !IsFinite(value, elementType))
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.ModulatorParameterWithoutDefault, LocationInfo.From(parameter.Locations.FirstOrDefault()),
                    parameter.Name, name, (elementType ?? ElementType.Double).Keyword()));
            }

            parameters.Add(new LearnableArgument(parameter.Name, initial ?? 0));
        }

        IMethodSymbol implementation = method.PartialImplementationPart ?? method;
        if (implementation.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(token) is not MethodDeclarationSyntax syntax
            || Body(syntax) is not { } body)
        {
            string why = method.DeclaringSyntaxReferences.IsEmpty
                ? "its source is not part of this compilation, so its expression cannot be read"
                : "its body is not '=> expression' or one 'return expression;'";
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidModulatorSignature, methodLocation, name, why));
            return null;
        }

        var reader = new ModulatorReader(method, diagnostics);
        SigmaNode? sigma = reader.Read(body)?.Node;
        if (sigma is not null && NonFiniteConstant(sigma, parameters.Count, elementType) is { } constant)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.UnsupportedModulatorSyntax, LocationInfo.From(body), Shortened(body.ToString()), name,
                $"it folds to the constant {constant.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}, which is not a finite {(elementType ?? ElementType.Double).Keyword()} (in σ or a derivative the generator prints)"));
        }

        return sigma is null || diagnostics.Count > reported ? null : new SigmaModulator(name, sigma, parameters.ToEquatableArray());
    }

    /// <summary>A constant of σ, σ′ or some ∂σ/∂θ that the element type cannot hold (1e39 in float, Math.Log(-1)), or null.</summary>
    private static double? NonFiniteConstant(SigmaNode sigma, int parameters, ElementType? elementType)
    {
        IEnumerable<SigmaNode> trees = new[] { sigma, SigmaDerivative.ByInput(sigma) }
            .Concat(Enumerable.Range(0, parameters).Select(k => SigmaDerivative.ByParameter(sigma, SigmaAlgebra.Parameter(k, ""))));
        foreach (SigmaNode node in trees.SelectMany(tree => tree.Nodes()))
        {
            if (node.IsConstant && !IsFinite(node.Value, elementType))
            {
                return node.Value;
            }
        }

        return null;
    }

    private static string Shortened(string text) => text.Length > 60 ? text.Substring(0, 57) + "…" : text;

    /// <summary>What keeps a modulator method from <c>double M(double x, double …)</c>, or null.</summary>
    private static string? ModulatorSignatureProblem(IMethodSymbol method)
    {
        if (method.ReturnType.SpecialType != SpecialType.System_Double)
        {
            return $"it returns '{method.ReturnType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}'";
        }

        if (method.IsGenericMethod)
        {
            return "it is generic";
        }

        if (method.Parameters.Length == 0)
        {
            return "it has no parameter x";
        }

        foreach (IParameterSymbol parameter in method.Parameters)
        {
            if (parameter.Type.SpecialType != SpecialType.System_Double)
            {
                return $"parameter '{parameter.Name}' is '{parameter.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}'";
            }

            if (parameter.RefKind != RefKind.None || parameter.IsParams)
            {
                return $"parameter '{parameter.Name}' is passed by reference or as params";
            }
        }

        return null;
    }

    private static ExpressionSyntax? Body(MethodDeclarationSyntax method) =>
        method.ExpressionBody?.Expression
        ?? (method.Body?.Statements is { Count: 1 } statements && statements[0] is ReturnStatementSyntax { Expression: { } returned } ? returned : null);

    private static double? AsDouble(object? value) => value switch
    {
        double d => d,
        float f => f,
        int i => i,
        long l => l,
        uint u => u,
        ulong u => u,
        short i => i,
        ushort u => u,
        byte u => u,
        sbyte i => i,
        decimal m => (double)m,
        _ => null,
    };

    /// <summary>Whether C# computes with <paramref name="value"/> in an integer type (so that 1 / 2 is 0).</summary>
    private static bool IsIntegral(object? value) => value is int or long or uint or ulong or short or ushort or byte or sbyte;

    /// <summary>A subexpression read: its tree, and whether C# types it as an integer (so that 1 / 2 is 0, as C# has it).</summary>
    private readonly record struct ReadNode(SigmaNode Node, bool IsInteger);

    /// <summary>
    /// Turns a modulator's expression syntax into a <see cref="SigmaNode"/> tree, construct by construct, reporting
    /// each unsupported one at its syntax (MMX0027) and going on, so the user sees them all at once.
    /// </summary>
    private sealed class ModulatorReader(IMethodSymbol method, ImmutableArray<DiagnosticInfo>.Builder diagnostics)
    {
        private const string Supported = "a modulator is one expression of x, its parameters, numeric literals, const fields, + − * /, Math.Exp/Log/Tanh/Sqrt/Abs/Max/Min, Math.Pow(e, integer) and c ? a : b comparing with < <= > >=";

        /// <summary>How deeply an expression may nest: the tree is walked recursively, and the compiler's stack is not ours to spend.</summary>
        private const int MaximumDepth = 400;

        private int depth;
        private bool tooDeep;
        private ExpressionSyntax? root;

        public ReadNode? Read(ExpressionSyntax syntax)
        {
            if (depth >= MaximumDepth)
            {
                // Once: the other operands of the levels above reach the limit too.
                bool first = !tooDeep;
                tooDeep = true;
                return first ? Unsupported(root!, $"it nests more than {MaximumDepth} levels deep (a chain of + or * is one level per operand)") : null;
            }

            root ??= syntax;
            depth++;
            try
            {
                return ReadNested(syntax);
            }
            finally
            {
                depth--;
            }
        }

        private ReadNode? ReadNested(ExpressionSyntax syntax)
        {
            switch (syntax)
            {
                case ParenthesizedExpressionSyntax parenthesized:
                    return Read(parenthesized.Expression);
                case LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NumericLiteralExpression } literal when AsDouble(literal.Token.Value) is { } value:
                    return new ReadNode(SigmaAlgebra.Constant(value), IsIntegral(literal.Token.Value));
                case IdentifierNameSyntax identifier:
                    return Name(identifier, identifier.Identifier.ValueText);
                case MemberAccessExpressionSyntax member when IsMathConstant(member):
                    return new ReadNode(SigmaAlgebra.Constant(member.Name.Identifier.ValueText == "PI" ? Math.PI : Math.E), false);
                case MemberAccessExpressionSyntax member when ConstantOwner(member) is { } owner:
                    return Constant(member, owner, member.Name.Identifier.ValueText);
                case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.UnaryMinusExpression } minus:
                    return Read(minus.Operand) is { } negated ? negated with { Node = SigmaAlgebra.Negate(negated.Node) } : null;
                case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.UnaryPlusExpression } plus:
                    return Read(plus.Operand);
                case BinaryExpressionSyntax binary when Arithmetic(binary.Kind()) is { } operation:
                    return Binary(binary, operation);
                case ConditionalExpressionSyntax conditional:
                    return Conditional(conditional);
                case InvocationExpressionSyntax invocation:
                    return Call(invocation);
                default:
                    return Unsupported(syntax, Supported);
            }
        }

        /// <summary>x, a parameter, or a numeric const field of the class or an enclosing one, as C# resolves a simple name.</summary>
        private ReadNode? Name(SyntaxNode syntax, string name)
        {
            int position = method.Parameters.Select(p => p.Name).ToList().IndexOf(name);
            if (position == 0)
            {
                return new ReadNode(SigmaAlgebra.X, false);
            }

            if (position > 0)
            {
                return new ReadNode(SigmaAlgebra.Parameter(position - 1, name), false);
            }

            // The innermost type with a member of that name is the one C# binds to, whatever the member is.
            for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
            {
                if (!type.GetMembers(name).IsEmpty)
                {
                    return Constant(syntax, type, name);
                }
            }

            return Unsupported(syntax, "only x, the method's parameters and numeric const fields can be named");
        }

        /// <summary>The numeric const field <paramref name="name"/> of <paramref name="type"/>.</summary>
        private ReadNode? Constant(SyntaxNode syntax, INamedTypeSymbol type, string name) =>
            type.GetMembers(name).FirstOrDefault() is IFieldSymbol { IsConst: true, ConstantValue: var value } && AsDouble(value) is { } number
                ? new ReadNode(SigmaAlgebra.Constant(number), IsIntegral(value))
                : Unsupported(syntax, $"'{name}' is not a numeric const field: only x, the method's parameters and numeric const fields can be named");

        /// <summary><c>Math.PI</c> or <c>Math.E</c>.</summary>
        private static bool IsMathConstant(MemberAccessExpressionSyntax member) =>
            IsMath(member.Expression) && member.Name.Identifier.ValueText is "PI" or "E";

        /// <summary>The class, this one or an enclosing one, through whose name <c>Ops.Cap</c> names a member, or null.</summary>
        private INamedTypeSymbol? ConstantOwner(MemberAccessExpressionSyntax member)
        {
            for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
            {
                if (member.Expression is IdentifierNameSyntax owner && owner.Identifier.ValueText == type.Name
                    && !type.GetMembers(member.Name.Identifier.ValueText).IsEmpty)
                {
                    return type;
                }
            }

            return null;
        }

        private ReadNode? Binary(BinaryExpressionSyntax binary, SigmaKind operation)
        {
            ReadNode? left = Read(binary.Left), right = Read(binary.Right);
            if (left is not { } a || right is not { } b)
            {
                return null;
            }

            bool integer = a.IsInteger && b.IsInteger;
            if (integer && !(a.Node.IsConstant && b.Node.IsConstant))
            {
                // (x > 0 ? 1 : 3) / 2 is integer division in C#, and a product of ints may wrap: not what the kernels compute.
                return Unsupported(binary, "C# computes it in an integer type (1 / 2 is 0); write a literal as a double (2.0)");
            }

            SigmaNode node = operation switch
            {
                SigmaKind.Add => SigmaAlgebra.Add(a.Node, b.Node),
                SigmaKind.Subtract => SigmaAlgebra.Subtract(a.Node, b.Node),
                SigmaKind.Multiply => SigmaAlgebra.Multiply(a.Node, b.Node),
                _ when integer && a.Node.IsConstant && b.Node.IsConstant && b.Node.Value != 0 =>
                    SigmaAlgebra.Constant(Math.Truncate(a.Node.Value / b.Node.Value)), // C#'s integer division
                _ => SigmaAlgebra.Divide(a.Node, b.Node),
            };
            return new ReadNode(node, integer);
        }

        private ReadNode? Conditional(ConditionalExpressionSyntax conditional)
        {
            ExpressionSyntax condition = conditional.Condition;
            while (condition is ParenthesizedExpressionSyntax parenthesized)
            {
                condition = parenthesized.Expression;
            }

            SigmaComparison? comparison = condition.Kind() switch
            {
                SyntaxKind.LessThanExpression => SigmaComparison.Less,
                SyntaxKind.LessThanOrEqualExpression => SigmaComparison.LessOrEqual,
                SyntaxKind.GreaterThanExpression => SigmaComparison.Greater,
                SyntaxKind.GreaterThanOrEqualExpression => SigmaComparison.GreaterOrEqual,
                _ => null,
            };
            if (comparison is null || condition is not BinaryExpressionSyntax compared)
            {
                Unsupported(condition, "the condition of ?: must compare two expressions with <, <=, > or >=");
                Read(conditional.WhenTrue);
                Read(conditional.WhenFalse);
                return null;
            }

            ReadNode? left = Read(compared.Left), right = Read(compared.Right), whenTrue = Read(conditional.WhenTrue), whenFalse = Read(conditional.WhenFalse);
            return left is { } l && right is { } r && whenTrue is { } t && whenFalse is { } f
                ? new ReadNode(SigmaAlgebra.Select(comparison.Value, l.Node, r.Node, t.Node, f.Node), t.IsInteger && f.IsInteger)
                : null;
        }

        private ReadNode? Call(InvocationExpressionSyntax invocation)
        {
            if (invocation.Expression is not MemberAccessExpressionSyntax { Name: var function } callee || !IsMath(callee.Expression))
            {
                return Unsupported(invocation, "the only calls are to Math.Exp, Log, Tanh, Sqrt, Abs, Max, Min and Pow");
            }

            string name = function.Identifier.ValueText;
            SeparatedSyntaxList<ArgumentSyntax> arguments = invocation.ArgumentList.Arguments;
            (SigmaKind? kind, int arity) = name switch
            {
                "Exp" => (SigmaKind.Exp, 1),
                "Log" => (SigmaKind.Log, 1),
                "Tanh" => (SigmaKind.Tanh, 1),
                "Sqrt" => (SigmaKind.Sqrt, 1),
                "Abs" => (SigmaKind.Abs, 1),
                "Max" => (SigmaKind.Max, 2),
                "Min" => (SigmaKind.Min, 2),
                "Pow" => (SigmaKind.Power, 2),
                _ => ((SigmaKind?)null, 0),
            };
            if (kind is null || arguments.Count != arity || arguments.Any(a => a.NameColon is not null || !a.RefKindKeyword.IsKind(SyntaxKind.None)))
            {
                return Unsupported(invocation, kind is null
                    ? $"Math.{name} is not one of Exp, Log, Tanh, Sqrt, Abs, Max, Min and Pow"
                    : $"Math.{name} takes {arity} plain argument{(arity == 1 ? "" : "s")} here");
            }

            if (kind == SigmaKind.Power)
            {
                ReadNode? power = Read(arguments[0].Expression);
                if (IntegerLiteral(arguments[1].Expression) is not { } exponent)
                {
                    return Unsupported(arguments[1], $"the exponent of Math.Pow must be an integer literal from −{MaximumPower} to {MaximumPower}");
                }

                return power is { } p ? new ReadNode(SigmaAlgebra.Power(p.Node, exponent), false) : null;
            }

            ReadNode?[] operands = arguments.Select(a => Read(a.Expression)).ToArray();
            if (operands.Any(o => o is null))
            {
                return null;
            }

            return kind switch
            {
                SigmaKind.Max => new ReadNode(SigmaAlgebra.Max(operands[0]!.Value.Node, operands[1]!.Value.Node), operands.All(o => o!.Value.IsInteger)),
                SigmaKind.Min => new ReadNode(SigmaAlgebra.Min(operands[0]!.Value.Node, operands[1]!.Value.Node), operands.All(o => o!.Value.IsInteger)),
                _ => new ReadNode(SigmaAlgebra.Function(kind.Value, operands[0]!.Value.Node), kind == SigmaKind.Abs && operands[0]!.Value.IsInteger),
            };
        }

        /// <summary>An integer power as written: a literal with an integral value (2, 2.0 or −3) within the unrolled range.</summary>
        private static int? IntegerLiteral(ExpressionSyntax syntax)
        {
            int sign = 1;
            while (syntax is ParenthesizedExpressionSyntax or PrefixUnaryExpressionSyntax)
            {
                if (syntax is PrefixUnaryExpressionSyntax unary)
                {
                    sign *= unary.IsKind(SyntaxKind.UnaryMinusExpression) ? -1 : unary.IsKind(SyntaxKind.UnaryPlusExpression) ? 1 : 0;
                    syntax = unary.Operand;
                }
                else
                {
                    syntax = ((ParenthesizedExpressionSyntax)syntax).Expression;
                }
            }

            return sign != 0 && syntax is LiteralExpressionSyntax literal && AsDouble(literal.Token.Value) is { } value
                   && value == Math.Floor(value) && Math.Abs(value) <= MaximumPower
                ? sign * (int)value
                : null;
        }

        private static bool IsMath(ExpressionSyntax expression) => expression switch
        {
            IdentifierNameSyntax { Identifier.ValueText: "Math" } => true,
            MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Math", Expression: IdentifierNameSyntax { Identifier.ValueText: "System" } } => true,
            MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Math", Expression: AliasQualifiedNameSyntax { Name.Identifier.ValueText: "System" } } => true,
            _ => false,
        };

        private static SigmaKind? Arithmetic(SyntaxKind kind) => kind switch
        {
            SyntaxKind.AddExpression => SigmaKind.Add,
            SyntaxKind.SubtractExpression => SigmaKind.Subtract,
            SyntaxKind.MultiplyExpression => SigmaKind.Multiply,
            SyntaxKind.DivideExpression => SigmaKind.Divide,
            _ => null,
        };

        private ReadNode? Unsupported(SyntaxNode syntax, string why)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.UnsupportedModulatorSyntax, LocationInfo.From(syntax), Shortened(syntax.ToString()), method.Name, why));
            return null;
        }
    }
}
