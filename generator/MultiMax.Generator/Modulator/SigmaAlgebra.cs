using System;
using MultiMax.Generator.Helpers;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Modulator;

/// <summary>
/// Builds <see cref="SigmaNode"/>s, simplifying as it goes: constants fold (in double, rounded to the element type only
/// when printed), and <c>0 + e</c>, <c>1·e</c>, <c>0·e</c>, <c>e/1</c>, <c>−(−e)</c>, <c>e^1</c> and a select whose branches
/// agree reduce to what they equal. Signs move out of products, and factors that do not depend on x gather at the
/// front, so that their product is one value a kernel computes once per call (<see cref="SigmaInvariants"/>). The parser and <see cref="SigmaDerivative"/> build through it, so a derivative never
/// carries the zeros and ones its rules produce.
/// </summary>
/// <remarks>
/// <c>0·e = 0</c> is the algebra's rule, not IEEE's (0·∞ is NaN): it applies to the symbols of σ and its derivatives,
/// where a zero factor means that a term is absent, never to values computed at run time.
/// </remarks>
internal static class SigmaAlgebra
{
    public static readonly SigmaNode X = Leaf(SigmaKind.Input);

    public static readonly SigmaNode Zero = Constant(0);

    public static readonly SigmaNode One = Constant(1);

    public static SigmaNode Constant(double value) => new(SigmaKind.Constant, value, 0, null, EquatableArray<SigmaNode>.Empty);

    public static SigmaNode Parameter(int index, string name) => new(SigmaKind.Parameter, 0, index, name, EquatableArray<SigmaNode>.Empty);

    public static SigmaNode Add(SigmaNode a, SigmaNode b) =>
        a.IsConstant && b.IsConstant ? Constant(a.Value + b.Value)
        : a.IsConstantValue(0) ? b
        : b.IsConstantValue(0) ? a
        : b.Kind == SigmaKind.Negate ? Subtract(a, b[0])
        : Node(SigmaKind.Add, a, b);

    public static SigmaNode Subtract(SigmaNode a, SigmaNode b) =>
        a.IsConstant && b.IsConstant ? Constant(a.Value - b.Value)
        : b.IsConstantValue(0) ? a
        : b.IsConstant && b.Value < 0 ? Add(a, Constant(-b.Value)) // u − (−0.5) is u + 0.5, exactly
        : a.IsConstantValue(0) ? Negate(b)
        : b.Kind == SigmaKind.Negate ? Add(a, b[0])
        : Node(SigmaKind.Subtract, a, b);

    public static SigmaNode Multiply(SigmaNode a, SigmaNode b) =>
        a.IsConstant && b.IsConstant ? Constant(a.Value * b.Value)
        : a.IsConstantValue(0) || b.IsConstantValue(0) ? Zero
        : a.IsConstantValue(1) ? b
        : b.IsConstantValue(1) ? a
        : a.IsConstantValue(-1) ? Negate(b)
        : b.IsConstantValue(-1) ? Negate(a)
        : b.Kind == SigmaKind.Negate ? Negate(Multiply(a, b[0])) // exact: a sign moves out of a product
        : a.Kind == SigmaKind.Negate ? Negate(Multiply(a[0], b))
        : b.IsConstant ? Multiply(b, a) // constants first: 2·x, as people write it
        : !a.DependsOnInput && b.Kind == SigmaKind.Multiply && !b[0].DependsOnInput
            ? Multiply(Multiply(a, b[0]), b[1]) // a·(c·u) = (a·c)·u: a·c is then computed once per call
        : Node(SigmaKind.Multiply, a, b);

    public static SigmaNode Divide(SigmaNode a, SigmaNode b) =>
        a.IsConstant && b.IsConstant ? Constant(a.Value / b.Value)
        : b.IsConstantValue(1) ? a
        : a.IsConstantValue(0) ? Zero
        : Node(SigmaKind.Divide, a, b);

    public static SigmaNode Negate(SigmaNode a) =>
        a.IsConstant ? Constant(-a.Value)
        : a.Kind == SigmaKind.Negate ? a[0]
        : Node(SigmaKind.Negate, a);

    /// <summary><c>Exp</c>, <c>Log</c>, <c>Tanh</c>, <c>Sqrt</c> or <c>Abs</c> of <paramref name="a"/>.</summary>
    public static SigmaNode Function(SigmaKind function, SigmaNode a) => a.IsConstant
        ? Constant(function switch
        {
            SigmaKind.Exp => Math.Exp(a.Value),
            SigmaKind.Log => Math.Log(a.Value),
            SigmaKind.Tanh => Math.Tanh(a.Value),
            SigmaKind.Sqrt => Math.Sqrt(a.Value),
            SigmaKind.Abs => Math.Abs(a.Value),
            _ => throw new ArgumentOutOfRangeException(nameof(function)),
        })
        : Node(function, a);

    /// <summary>A term's clipped distance <c>max(a, 0)</c> (<see cref="SigmaKind.Relu"/>).</summary>
    public static SigmaNode Relu(SigmaNode a) => a.IsConstant ? Constant(a.Value > 0 ? a.Value : 0) : Node(SigmaKind.Relu, a);

    public static SigmaNode Max(SigmaNode a, SigmaNode b) =>
        a.IsConstant && b.IsConstant ? Constant(Math.Max(a.Value, b.Value)) : a.Equals(b) ? a : Node(SigmaKind.Max, a, b);

    public static SigmaNode Min(SigmaNode a, SigmaNode b) =>
        a.IsConstant && b.IsConstant ? Constant(Math.Min(a.Value, b.Value)) : a.Equals(b) ? a : Node(SigmaKind.Min, a, b);

    public static SigmaNode Power(SigmaNode a, int exponent) =>
        exponent == 0 ? One
        : exponent == 1 ? a
        : a.IsConstant ? Constant(Math.Pow(a.Value, exponent))
        : new SigmaNode(SigmaKind.Power, 0, exponent, null, new[] { a }.ToEquatableArray());

    /// <summary><c>left ⋚ right ? whenTrue : whenFalse</c>; decided now when both sides are constants or both branches agree.</summary>
    public static SigmaNode Select(SigmaComparison comparison, SigmaNode left, SigmaNode right, SigmaNode whenTrue, SigmaNode whenFalse)
    {
        if (whenTrue.Equals(whenFalse))
        {
            return whenTrue;
        }

        if (left.IsConstant && right.IsConstant)
        {
            return Compare(comparison, left.Value, right.Value) ? whenTrue : whenFalse;
        }

        // A value against itself: strictly less or greater never, otherwise always. Only a NaN would decide otherwise,
        // and a NaN input or parameter makes its row NaN whichever branch is taken.
        if (left.Equals(right))
        {
            return comparison is SigmaComparison.Less or SigmaComparison.Greater ? whenFalse : whenTrue;
        }

        return new SigmaNode(SigmaKind.Select, 0, 0, null, new[] { left, right, whenTrue, whenFalse }.ToEquatableArray(), comparison);
    }

    /// <summary>The comparison as C# evaluates it: false when either side is NaN.</summary>
    public static bool Compare(SigmaComparison comparison, double left, double right) => comparison switch
    {
        SigmaComparison.Less => left < right,
        SigmaComparison.LessOrEqual => left <= right,
        SigmaComparison.Greater => left > right,
        SigmaComparison.GreaterOrEqual => left >= right,
        _ => left == right,
    };

    private static SigmaNode Leaf(SigmaKind kind) => new(kind, 0, 0, null, EquatableArray<SigmaNode>.Empty);

    private static SigmaNode Node(SigmaKind kind, params SigmaNode[] operands) => new(kind, 0, 0, null, operands.ToEquatableArray());
}
