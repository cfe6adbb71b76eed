using System.Collections.Generic;
using System.Linq;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Modulator;

/// <summary>
/// The subtrees of σ, σ′ and ∂σ/∂θ that do not depend on x (<c>1/cap</c>, <c>a·2</c>): each a symbol,
/// <c>inv0</c>, <c>inv1</c>, …, that a kernel computes once per call beside the parameters it reads, where it would
/// otherwise recompute them for every entry. Numbered operands first, so each definition reads only earlier ones.
/// </summary>
internal sealed class SigmaInvariants
{
    private readonly Dictionary<SigmaNode, Symbol> symbols = new();

    /// <param name="roots">Every tree any kernel of the declaration prints, so that one subtree has one name in all.</param>
    public SigmaInvariants(IEnumerable<SigmaNode> roots)
    {
        foreach (SigmaNode node in roots.SelectMany(root => root.Nodes()))
        {
            if (node.IsOperation && !node.DependsOnInput && !symbols.ContainsKey(node))
            {
                symbols[node] = Symbol.Invariant("inv" + symbols.Count, node);
            }
        }
    }

    /// <summary>The symbol of an invariant subtree, or null for one that depends on x (or is a leaf).</summary>
    public Symbol? Of(SigmaNode node) => symbols.TryGetValue(node, out Symbol? symbol) ? symbol : null;

    /// <summary>The invariants <paramref name="roots"/> read, directly or inside other invariants, in definition order.</summary>
    public IEnumerable<Symbol> ReadBy(IEnumerable<SigmaNode> roots) =>
        roots.SelectMany(root => root.Nodes()).Distinct().Select(Of).OfType<Symbol>().OrderBy(s => Number(s));

    private static int Number(Symbol symbol) => int.Parse(symbol.Name.Substring("inv".Length), System.Globalization.CultureInfo.InvariantCulture);
}
