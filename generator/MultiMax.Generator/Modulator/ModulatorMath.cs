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
            Invariants = new SigmaInvariants(new[] { modulator.Sigma, SigmaPrime }.Concat(Gradients.Select(g => g.Derivative!)));
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

    /// <summary>What σ, σ′ and ∂σ/∂θ of <see cref="Expression"/> compute once per call; null when σ is made of terms.</summary>
    public SigmaInvariants? Invariants { get; }

    /// <summary>Whether σ is the identity (plain SoftMax): then no entry needs masking before σ.</summary>
    public bool IsIdentity => Expression is { } expression ? expression.Sigma.Kind == SigmaKind.Input : Terms.Count == 0 && !IsAffine;

    /// <summary>
    /// Whether σ may map a non-finite input to a finite value (a negative scale maps +∞ to −∞; <c>cap·tanh(x/cap)</c>
    /// maps it to cap): then the forward adds x − x to σ, so that NaN and +∞ inputs still poison their row.
    /// </summary>
    public bool MayHideNonFinite => IsAffine || Expression is not null;

    /// <summary>
    /// The symbol of σ-as-C#'s parameter at <paramref name="index"/>: <c>θ0_cap</c>. The index keeps the names a kernel
    /// derives from it (<c>θ0_capV</c>, <c>gradθ0_cap</c>) apart from every other argument's, whatever the user named them.
    /// </summary>
    public Symbol ExpressionSymbol(int index) => Symbol.Parameter(ExpressionLocal(Expression!, index), index);

    /// <summary>The local (or field) that holds a modulator's argument: θ, its index, and its name.</summary>
    public static string ExpressionLocal(SigmaModulator modulator, int index) => $"θ{index}_{modulator.Parameters[index].Name}";

    /// <summary>Every learnable parameter σ depends on, with its accumulator; the others' gradients are exactly 0.</summary>
    public IReadOnlyList<ParameterGradient> Gradients { get; }

    public int ParameterCount { get; }

    /// <summary>
    /// The values σ reads that a kernel computes once per call, in the order to declare them: the learnable parameters
    /// (coefficients and thresholds in term order, then scale and shift; or a modulator's arguments in its order), then
    /// a modulator's invariants.
    /// </summary>
    public IEnumerable<Symbol> SigmaSymbols => Expression is { } expression
        ? ExpressionParameters(expression.Sigma).Concat(Invariants!.ReadBy(new[] { expression.Sigma }))
        : Terms.SelectMany(t => new[] { t.Coefficient, t.Threshold }).Concat(AffineSymbols).Where(s => s.Kind == SymbolKind.Parameter);

    /// <summary>
    /// The values σ′ and the gradients read, in the order to declare them, and all that σ reads too (a backward kernel
    /// checks σ's parameters for NaN, and the GPU's recomputes σ): the parameters (coefficients only to compute slopes
    /// from), then the slopes of learnable coefficients, or a modulator's invariants.
    /// </summary>
    public IEnumerable<Symbol> DerivativeSymbols => Expression is { } expression
        ? ExpressionParameters(new[] { expression.Sigma, SigmaPrime! }.Concat(Gradients.Select(g => g.Derivative!)).ToArray())
            .Concat(Invariants!.ReadBy(new[] { expression.Sigma, SigmaPrime! }.Concat(Gradients.Select(g => g.Derivative!))))
        : SigmaSymbols.Concat(Terms.Select(t => t.Slope).Where(s => s.Kind == SymbolKind.Slope));

    /// <summary>The learnable parameters σ reads, for the NaN check: never an invariant or a slope.</summary>
    public IEnumerable<Symbol> ParameterSymbols => SigmaSymbols.Where(s => s.Kind == SymbolKind.Parameter);

    private IEnumerable<Symbol> ExpressionParameters(params SigmaNode[] roots) =>
        roots.SelectMany(root => root.Nodes()).Where(n => n.Kind == SigmaKind.Parameter).Select(n => n.Index).Distinct().OrderBy(i => i).Select(ExpressionSymbol);

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
