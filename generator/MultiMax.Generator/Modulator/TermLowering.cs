using System.Collections.Generic;
using MultiMax.Generator.Model;
using static MultiMax.Generator.Modulator.SigmaAlgebra;

namespace MultiMax.Generator.Modulator;

/// <summary>
/// <c>[Below]</c>/<c>[Above]</c> terms (and <c>Order</c>, <c>Affine</c>) as sugar: σ = u + Σ coefficient·max(±(u − threshold), 0)^power
/// with u = scale·x + shift, written in the same tree as σ written as C#, so that one differentiation and one printer
/// serve both. A term with a constant zero coefficient is no term at all.
/// </summary>
internal static class TermLowering
{
    /// <summary>σ of the declaration's terms, reading each learnable value as the parameter <c>names[index]</c>.</summary>
    public static SigmaNode Lower(NormalizerSpec spec, IReadOnlyList<string> names)
    {
        SigmaNode Value(TermValue value) => value.IsLearnable ? Parameter(value.ParameterIndex, names[value.ParameterIndex]) : Constant(value.Constant);

        SigmaNode u = spec.IsAffine ? ScaledInput(spec, names) : X;
        SigmaNode sigma = u;
        foreach (ModulatorTerm term in spec.Terms)
        {
            if (term.VanishesIdentically)
            {
                continue;
            }

            SigmaNode threshold = Value(term.Threshold);
            SigmaNode distance = Relu(term.Side == TermSide.Below ? Subtract(threshold, u) : Subtract(u, threshold));
            SigmaNode clipped = Power(distance, term.Power);
            sigma = term.Coefficient.IsConstant(1) ? Add(sigma, clipped)
                : term.Coefficient.IsConstant(-1) ? Subtract(sigma, clipped)
                : Add(sigma, Multiply(Value(term.Coefficient), clipped));
        }

        return sigma;
    }

    /// <summary>The affine map <c>x' = scale·x + shift</c> that <c>Affine = true</c> applies σ's terms to.</summary>
    public static SigmaNode ScaledInput(NormalizerSpec spec, IReadOnlyList<string> names) =>
        Add(Multiply(Parameter(spec.ScaleIndex, names[spec.ScaleIndex]), X), Parameter(spec.ShiftIndex, names[spec.ShiftIndex]));

    /// <summary>
    /// The names of a term declaration's parameters, by layout index: <c>a{k}</c>/<c>b{k}</c> for term k's coefficient and
    /// threshold below, <c>c{k}</c>/<c>d{k}</c> above, then <c>scale</c> and <c>shift</c>.
    /// </summary>
    public static string[] ParameterNames(NormalizerSpec spec)
    {
        var names = new string[spec.ParameterCount];
        for (int k = 0; k < spec.Terms.Count; k++)
        {
            ModulatorTerm term = spec.Terms[k];
            if (term.Coefficient.IsLearnable)
            {
                names[term.Coefficient.ParameterIndex] = (term.Side == TermSide.Below ? "a" : "c") + k;
            }

            if (term.Threshold.IsLearnable)
            {
                names[term.Threshold.ParameterIndex] = (term.Side == TermSide.Below ? "b" : "d") + k;
            }
        }

        if (spec.IsAffine)
        {
            names[spec.ScaleIndex] = "scale";
            names[spec.ShiftIndex] = "shift";
        }

        return names;
    }
}
