using System.Linq;
using MultiMax.Generator.Emit;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Modulator;

/// <summary>An expression tree as a formula for people: the generated files' headers, e.g. <c>cap·tanh(x / cap)</c>.</summary>
internal static class SigmaText
{
    /// <param name="scaled">A subtree to print as <c>x'</c>: the affine map of terms, shown on a line of its own.</param>
    public static string Of(SigmaNode node, SigmaNode? scaled = null) => Print(node, 0, scaled);

    // Precedence: 0 conditional, 1 sum, 2 product, 3 unary minus, 4 power and atoms.
    private static string Print(SigmaNode e, int context, SigmaNode? scaled)
    {
        string Print(SigmaNode operand, int at) => SigmaText.Print(operand, at, scaled);

        (string text, int precedence) = e.Equals(scaled) ? ("x'", 4) : e.Kind switch
        {
            SigmaKind.Input => ("x", 4),
            SigmaKind.Constant => (Literals.Display(e.Value), e.Value < 0 ? 3 : 4),
            SigmaKind.Parameter => (e.Name!, 4),
            SigmaKind.Add => ($"{Print(e[0], 1)} + {Print(e[1], 2)}", 1),
            SigmaKind.Subtract => ($"{Print(e[0], 1)} − {Print(e[1], 2)}", 1),
            SigmaKind.Multiply => ($"{Print(e[0], 2)}·{Print(e[1], 3)}", 2),
            SigmaKind.Divide => ($"{Print(e[0], 2)} / {Print(e[1], 3)}", 2),
            SigmaKind.Negate => ($"−{Print(e[0], 3)}", 3),
            SigmaKind.Relu => ($"max({Print(e[0], 0)}, 0)", 4),
            SigmaKind.Power => ($"{Print(e[0], 4)}^{Literals.Display(e.Index)}", 4),
            SigmaKind.Select => ($"{Print(e[0], 1)} {Symbol(e.Comparison)} {Print(e[1], 1)} ? {Print(e[2], 1)} : {Print(e[3], 0)}", 0),
            _ => ($"{e.Kind.ToString().ToLowerInvariant()}({string.Join(", ", e.Operands.Select(o => Print(o, 0)))})", 4),
        };
        return precedence < context ? $"({text})" : text;
    }

    private static string Symbol(SigmaComparison comparison) => comparison switch
    {
        SigmaComparison.Less => "<",
        SigmaComparison.LessOrEqual => "≤",
        SigmaComparison.Greater => ">",
        SigmaComparison.GreaterOrEqual => "≥",
        _ => "=",
    };
}
