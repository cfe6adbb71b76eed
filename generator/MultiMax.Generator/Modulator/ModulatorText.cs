using System.Text;
using MultiMax.Generator.Emit;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Modulator;

/// <summary>σ as a formula for people: the generated files' headers and the comment beside each term.</summary>
internal static class ModulatorText
{
    /// <summary>e.g. <c>x + p[0]·max(p[2] − x, 0) − 2·max(x − 1, 0)^2</c>.</summary>
    public static string Sigma(ModulatorMath math)
    {
        if (math.Expression is { } expression)
        {
            return SigmaText.Of(expression.Sigma);
        }

        var formula = new StringBuilder(Input(math.IsAffine));
        foreach (TermMath term in math.Terms)
        {
            Symbol coefficient = term.Coefficient;
            formula.Append(coefficient.IsConstant && coefficient.Value < 0 ? " − " : " + ");
            if (!coefficient.IsConstant)
            {
                formula.Append(Value(coefficient)).Append('·');
            }
            else if (System.Math.Abs(coefficient.Value) != 1)
            {
                formula.Append(Literals.Display(System.Math.Abs(coefficient.Value))).Append('·');
            }

            formula.Append(Distance(term, math.IsAffine)).Append(term.Power == 1 ? "" : "^" + term.Power);
        }

        return formula.ToString();
    }

    /// <summary>e.g. <c>Below(2): max(p[6] − x, 0)</c>.</summary>
    public static string Term(TermMath term, bool affine) => $"{term.Side}({term.Power}): {Distance(term, affine)}";

    private static string Distance(TermMath term, bool affine)
    {
        string u = Input(affine);
        Symbol threshold = term.Threshold;
        if (threshold.IsConstantValue(0))
        {
            return term.Side == TermSide.Below ? $"max(−{u}, 0)" : $"max({u}, 0)";
        }

        if (term.Side == TermSide.Above && threshold.IsConstant && threshold.Value < 0)
        {
            return $"max({u} + {Literals.Display(-threshold.Value)}, 0)";
        }

        return term.Side == TermSide.Below ? $"max({Value(threshold)} − {u}, 0)" : $"max({u} − {Value(threshold)}, 0)";
    }

    private static string Input(bool affine) => affine ? "x'" : "x";

    private static string Value(Symbol symbol) => symbol.IsConstant ? Literals.Display(symbol.Value) : $"p[{symbol.ParameterIndex}]";
}
