using System.Collections.Generic;
using System.Linq;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Modulator;

/// <summary>
/// The mathematics of one declaration's σ, described once for every backend: the terms that are not identically
/// zero with their symbols, the affine map, and which parameters have a gradient. <see cref="ModulatorPrinter"/>
/// writes σ, σ′ and ∂σ/∂θ from it in any <see cref="IDialect"/>; emitters own only their loops.
/// </summary>
internal sealed class ModulatorMath
{
    public ModulatorMath(NormalizerSpec spec)
    {
        Type = spec.ElementType;
        Terms = spec.Terms
            .Select((term, index) => (term, index))
            .Where(t => !t.term.VanishesIdentically)
            .Select(t => Describe(t.term, t.index))
            .ToList();

        if (spec.IsAffine)
        {
            Scale = Symbol.Parameter("scale", spec.ScaleIndex);
            Shift = Symbol.Parameter("shift", spec.ShiftIndex);
        }

        var gradients = new List<ParameterGradient>();
        foreach (TermMath term in Terms)
        {
            if (term.Coefficient.Kind == SymbolKind.Parameter)
            {
                gradients.Add(new ParameterGradient(Capitalized(term.Coefficient.Name), term.Coefficient.ParameterIndex, term, IsThreshold: false));
            }

            if (term.Threshold.Kind == SymbolKind.Parameter)
            {
                gradients.Add(new ParameterGradient(Capitalized(term.Threshold.Name), term.Threshold.ParameterIndex, term, IsThreshold: true));
            }
        }

        if (Scale is not null && Shift is not null)
        {
            gradients.Add(new ParameterGradient("Scale", Scale.ParameterIndex, null, IsThreshold: false));
            gradients.Add(new ParameterGradient("Shift", Shift.ParameterIndex, null, IsThreshold: false));
        }

        Gradients = gradients;
        ParameterCount = spec.ParameterCount;
    }

    public ElementType Type { get; }

    /// <summary>The terms that are not identically zero (a constant zero coefficient removes a term), in declaration order.</summary>
    public IReadOnlyList<TermMath> Terms { get; }

    /// <summary>The affine scale, or null when σ is applied to x itself.</summary>
    public Symbol? Scale { get; }

    /// <summary>The affine shift, or null when σ is applied to x itself.</summary>
    public Symbol? Shift { get; }

    public bool IsAffine => Scale is not null;

    /// <summary>Whether σ is the identity (plain SoftMax): then no entry needs masking before σ.</summary>
    public bool IsIdentity => Terms.Count == 0 && !IsAffine;

    /// <summary>Every learnable parameter σ depends on, with its accumulator; the others' gradients are exactly 0.</summary>
    public IReadOnlyList<ParameterGradient> Gradients { get; }

    public int ParameterCount { get; }

    /// <summary>The learnable values σ reads: coefficients and thresholds in term order, then scale and shift.</summary>
    public IEnumerable<Symbol> SigmaSymbols =>
        Terms.SelectMany(t => new[] { t.Coefficient, t.Threshold }).Concat(AffineSymbols).Where(s => s.Kind == SymbolKind.Parameter);

    /// <summary>
    /// The learnable values σ′ and the gradients read, in the order to declare them: the parameters (coefficients only to
    /// compute slopes from), then the slopes of learnable coefficients.
    /// </summary>
    public IEnumerable<Symbol> DerivativeSymbols =>
        SigmaSymbols.Concat(Terms.Select(t => t.Slope).Where(s => s.Kind == SymbolKind.Slope));

    private IEnumerable<Symbol> AffineSymbols => Scale is null || Shift is null ? Enumerable.Empty<Symbol>() : new[] { Scale, Shift };

    private static TermMath Describe(Model.ModulatorTerm term, int index)
    {
        string side = term.Side == TermSide.Below ? "a" : "c";
        string threshold = term.Side == TermSide.Below ? "b" : "d";
        Symbol coefficient = Value(term.Coefficient, side + index);
        Symbol slope = coefficient.IsConstant
            ? Symbol.Constant(coefficient.Name + "p", coefficient.Value * term.Power)
            : new Symbol(coefficient.Name + "p", SymbolKind.Slope, double.NaN, -1, coefficient, term.Power);
        return new TermMath(index, term.Side, term.Power, coefficient, Value(term.Threshold, threshold + index), slope);
    }

    private static Symbol Value(TermValue value, string name) =>
        value.IsLearnable ? Symbol.Parameter(name, value.ParameterIndex) : Symbol.Constant(name, value.Constant);

    private static string Capitalized(string name) => char.ToUpperInvariant(name[0]) + name.Substring(1);
}
