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
        ParameterCount = spec.ParameterCount;
        if (spec.Modulator is { } modulator)
        {
            Terms = new List<TermMath>();
            Expression = modulator;
            SigmaPrime = SigmaDerivative.ByInput(modulator.Sigma);
            Gradients = modulator.Parameters
                .Select((p, index) => new ParameterGradient(
                    ExpressionSymbol(index).Name, index, null, IsThreshold: false,
                    SigmaDerivative.ByParameter(modulator.Sigma, SigmaAlgebra.Parameter(index, p.Name))))
                .Where(g => !g.Derivative!.IsConstantValue(0))
                .ToList();
            return;
        }

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
    }

    public ElementType Type { get; }

    /// <summary>The terms that are not identically zero (a constant zero coefficient removes a term), in declaration order.</summary>
    public IReadOnlyList<TermMath> Terms { get; }

    /// <summary>The affine scale, or null when σ is applied to x itself.</summary>
    public Symbol? Scale { get; }

    /// <summary>The affine shift, or null when σ is applied to x itself.</summary>
    public Symbol? Shift { get; }

    public bool IsAffine => Scale is not null;

    /// <summary>σ written as C# (<c>[Normalizer(Modulator = …)]</c>), or null when σ is made of terms.</summary>
    public SigmaModulator? Expression { get; }

    /// <summary>dσ/dx of <see cref="Expression"/>, or null when σ is made of terms.</summary>
    public SigmaNode? SigmaPrime { get; }

    /// <summary>Whether σ is the identity (plain SoftMax): then no entry needs masking before σ.</summary>
    public bool IsIdentity => Expression is { } expression ? expression.Sigma.Kind == SigmaKind.Input : Terms.Count == 0 && !IsAffine;

    /// <summary>
    /// Whether σ may map a non-finite input to a finite value (a negative scale maps +∞ to −∞; <c>cap·tanh(x/cap)</c>
    /// maps it to cap): then the forward adds x − x to σ, so that NaN and +∞ inputs still poison their row.
    /// </summary>
    public bool MayHideNonFinite => IsAffine || Expression is not null;

    /// <summary>The symbol of σ-as-C#'s parameter at <paramref name="index"/>: its local is <c>θ</c> and its name.</summary>
    public Symbol ExpressionSymbol(int index) => Symbol.Parameter("θ" + Expression!.Parameters[index].Name, index);

    /// <summary>Every learnable parameter σ depends on, with its accumulator; the others' gradients are exactly 0.</summary>
    public IReadOnlyList<ParameterGradient> Gradients { get; }

    public int ParameterCount { get; }

    /// <summary>The learnable values σ reads: coefficients and thresholds in term order, then scale and shift.</summary>
    public IEnumerable<Symbol> SigmaSymbols => Expression is { } expression
        ? expression.Sigma.Nodes().Where(n => n.Kind == SigmaKind.Parameter).Select(n => n.Index).OrderBy(i => i).Select(ExpressionSymbol)
        : Terms.SelectMany(t => new[] { t.Coefficient, t.Threshold }).Concat(AffineSymbols).Where(s => s.Kind == SymbolKind.Parameter);

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
