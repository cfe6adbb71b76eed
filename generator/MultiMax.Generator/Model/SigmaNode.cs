using System.Collections.Generic;
using System.Linq;
using MultiMax.Generator.Helpers;

namespace MultiMax.Generator.Model;

/// <summary>
/// One node of σ's expression tree: the model of a modulator written as C# (<c>[Normalizer(Modulator = …)]</c>), and of
/// its derivatives. A plain value: two trees that compute the same thing the same way compare equal, which is what the
/// incremental pipeline caches on and what <see cref="Modulator.SigmaCode"/> shares common subexpressions by. Build
/// nodes through <see cref="Modulator.SigmaAlgebra"/>, which folds constants as it goes.
/// </summary>
/// <param name="Value">A <see cref="SigmaKind.Constant"/>'s value.</param>
/// <param name="Index">A parameter's layout index, or a <see cref="SigmaKind.Power"/>'s exponent.</param>
/// <param name="Name">A parameter's name as declared.</param>
internal sealed record SigmaNode(
    SigmaKind Kind, double Value, int Index, string? Name, EquatableArray<SigmaNode> Operands, SigmaComparison Comparison = default)
{
    private int? hash;
    private bool? dependsOnInput;

    public bool IsConstant => Kind == SigmaKind.Constant;

    public bool IsConstantValue(double value) => Kind == SigmaKind.Constant && Value.Equals(value);

    /// <summary>Whether the value is computed from operands (anything but x, a constant or a parameter).</summary>
    public bool IsOperation => Operands.Count > 0;

    public SigmaNode this[int operand] => Operands[operand];

    /// <summary>Whether the value depends on x; one that does not is computed once per call, not per entry.</summary>
    public bool DependsOnInput => dependsOnInput ??= Kind == SigmaKind.Input || Operands.Any(o => o.DependsOnInput);

    /// <summary>Every node of the tree, each once, operands before the nodes that use them.</summary>
    public IEnumerable<SigmaNode> Nodes()
    {
        var seen = new HashSet<SigmaNode>();
        var order = new List<SigmaNode>();
        Visit(this);
        return order;

        void Visit(SigmaNode node)
        {
            if (!seen.Add(node))
            {
                return;
            }

            foreach (SigmaNode operand in node.Operands)
            {
                Visit(operand);
            }

            order.Add(node);
        }
    }

    public bool Equals(SigmaNode? other) =>
        ReferenceEquals(this, other)
        || other is not null && GetHashCode() == other.GetHashCode() && Kind == other.Kind && Value.Equals(other.Value)
           && Index == other.Index && Name == other.Name && Comparison == other.Comparison && Operands.Equals(other.Operands);

    // Cached: derivatives nest shared subtrees, and a hash recomputed through every level would cost the square of the size.
    public override int GetHashCode() => hash ??= unchecked(
        ((((((int)Kind * 397) ^ Value.GetHashCode()) * 397 ^ Index) * 397 ^ (Name?.GetHashCode() ?? 0)) * 397 ^ (int)Comparison) * 397
        ^ Operands.GetHashCode());
}
