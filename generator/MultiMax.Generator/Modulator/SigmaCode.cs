using System;
using System.Collections.Generic;
using MultiMax.Generator.Emit;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Modulator;

/// <summary>
/// Prints expression trees (<see cref="SigmaNode"/>) as straight-line code in one <see cref="IDialect"/>: one local per
/// operation, declared the first time any of the printed trees needs it, so a value σ, σ′ and the parameter gradients
/// share (<c>tanh(x/cap)</c>, say) is computed once. Leaves are operands: the input's local, a constant's literal, a
/// parameter's symbol; so is a subtree that does not depend on x (<see cref="SigmaInvariants"/>), which the kernel
/// computes once per call. A sum with a product in it is one fused multiply-add where the dialect has one.
/// </summary>
/// <param name="input">The local holding x.</param>
/// <param name="parameter">The symbol of the parameter with a layout index.</param>
/// <param name="invariants">The subtrees computed once per call, or null where there is no such prologue (torch ops).</param>
/// <param name="prefix">The stem of the locals it declares (<c>σ0</c>, <c>σ1</c>, …), distinct per call site in a scope.</param>
internal sealed class SigmaCode(IDialect dialect, Local input, Func<int, Symbol> parameter, SigmaInvariants? invariants, string prefix)
{
    private readonly Dictionary<SigmaNode, string> operands = new();
    private int locals;

    /// <summary>Writes what <paramref name="node"/> needs that is not written yet, and returns its operand.</summary>
    public string Write(SourceWriter writer, SigmaNode node)
    {
        if (operands.TryGetValue(node, out string? known))
        {
            return known;
        }

        string operand;
        if (invariants?.Of(node) is { } invariant)
        {
            operand = dialect.Reference(invariant);
        }
        else if (!node.IsOperation)
        {
            operand = Leaf(node);
        }
        else
        {
            string value = Operation(writer, node);
            var local = new Local(prefix + locals++);
            writer.Line(dialect.Declare(local, value));
            operand = local.Name;
        }

        operands[node] = operand;
        return operand;
    }

    /// <summary>An invariant's value as one expression over the parameters, constants and the invariants it is made of.</summary>
    public string Definition(SigmaNode invariant) => Operation(new SourceWriter(), invariant);

    private string Leaf(SigmaNode leaf) => leaf.Kind switch
    {
        SigmaKind.Input => input.Name,
        SigmaKind.Constant => dialect.Constant(leaf.Value),
        _ => dialect.Reference(parameter(leaf.Index)),
    };

    private string Operation(SourceWriter writer, SigmaNode e)
    {
        string Operand(int k) => Write(writer, e[k]);

        // Where the dialect needs a value of the computed kind (a tensor), not a number.
        string Valued(int k) => e[k].IsConstant ? dialect.ConstantLike(e[k].Value, input) : Operand(k);

        switch (e.Kind)
        {
            case SigmaKind.Add when Fusable(e[1]) is { } product:
            {
                string addend = Operand(0);
                (string left, string right) = Factors(writer, product);
                return dialect.MultiplyAdd(left, right, addend);
            }

            case SigmaKind.Add when Fusable(e[0]) is { } product:
            {
                (string left, string right) = Factors(writer, product);
                return dialect.MultiplyAdd(left, right, Operand(1));
            }

            case SigmaKind.Add:
                return $"{Operand(0)} + {Operand(1)}";
            case SigmaKind.Subtract:
                return $"{Operand(0)} - {Operand(1)}";
            case SigmaKind.Multiply when Unrolled(e[1]) is { } power:
            {
                // a·r·r·…, left to right, never r^p first: a zero factor then gives 0 however large r^p would be.
                string factor = Operand(0);
                return TimesPower(factor, Write(writer, power[0]), power.Index);
            }

            case SigmaKind.Multiply:
                return $"{Operand(0)} * {Operand(1)}";
            case SigmaKind.Relu:
                return dialect.Relu(Operand(0));
            case SigmaKind.Divide:
                return $"{Operand(0)} / {Operand(1)}";
            case SigmaKind.Negate:
                return $"-{Operand(0)}";
            case SigmaKind.Max:
            case SigmaKind.Min:
                return dialect.Extremum(e.Kind, Valued(0), Valued(1));
            case SigmaKind.Power:
            {
                string product = dialect.Power(new Local(Operand(0)), Math.Abs(e.Index));
                return e.Index > 0 ? product : $"{dialect.Constant(1)} / ({product})";
            }

            case SigmaKind.Select:
            {
                // The comparison's left side must be a value, not a number: 1 < x is written x > 1.
                string condition = e[0].IsConstant
                    ? dialect.Compare(Mirrored(e.Comparison), Operand(1), Operand(0))
                    : dialect.Compare(e.Comparison, Operand(0), Operand(1));
                return dialect.Select(condition, Valued(2), Valued(3));
            }

            default:
                return dialect.Function(e.Kind, Operand(0));
        }
    }

    /// <summary>
    /// The two factors of a product that a fused multiply-add takes: a·r^p as (a·r·…·r, r), left to right as a product
    /// with a power is (see <see cref="Unrolled"/>); anything else as its two operands.
    /// </summary>
    private (string Left, string Right) Factors(SourceWriter writer, SigmaNode product)
    {
        string left = Write(writer, product[0]);
        if (Unrolled(product[1]) is { } power)
        {
            string r = Write(writer, power[0]);
            return (TimesPower(left, r, power.Index - 1), r);
        }

        return (left, Write(writer, product[1]));
    }

    /// <summary>
    /// <c>factor * r * r * …</c> with <paramref name="count"/> factors of r, multiplied left to right: a zero factor stays 0
    /// through any number of finite r, where r^p alone might overflow.
    /// </summary>
    public static string TimesPower(string factor, string r, int count) => factor + string.Concat(System.Linq.Enumerable.Repeat(" * " + r, count));

    /// <summary>A positive power computed nowhere yet, that a product can multiply in factor by factor.</summary>
    private SigmaNode? Unrolled(SigmaNode node) =>
        node.Kind == SigmaKind.Power && node.Index > 0 && !operands.ContainsKey(node) && invariants?.Of(node) is null ? node : null;

    /// <summary>A product that is computed nowhere yet, so that the sum it is added to can take it as a fused multiply-add.</summary>
    private SigmaNode? Fusable(SigmaNode node) =>
        node.Kind == SigmaKind.Multiply && !operands.ContainsKey(node) && invariants?.Of(node) is null ? node : null;

    private static SigmaComparison Mirrored(SigmaComparison comparison) => comparison switch
    {
        SigmaComparison.Less => SigmaComparison.Greater,
        SigmaComparison.LessOrEqual => SigmaComparison.GreaterOrEqual,
        SigmaComparison.Greater => SigmaComparison.Less,
        SigmaComparison.GreaterOrEqual => SigmaComparison.LessOrEqual,
        _ => SigmaComparison.Equal,
    };
}
