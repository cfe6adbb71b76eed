using System.Collections.Generic;
using System.Linq;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Modulator;

/// <summary>
/// The mathematics of one declaration's σ, described once for every backend: σ as a tree (read from a modulator
/// written as C#, or lowered from terms by <see cref="TermLowering"/>), dσ/dx, ∂σ/∂θ for every parameter it depends on,
/// and the values a kernel computes once per call. <see cref="ModulatorPrinter"/> writes them in any
/// <see cref="IDialect"/>; emitters own only their loops.
/// </summary>
internal sealed class ModulatorMath
{
    private readonly string[] parameterNames;

    public ModulatorMath(NormalizerSpec spec)
    {
        Type = spec.ElementType;
        ParameterCount = spec.ParameterCount;
        IsAffine = spec.IsAffine;
        Expression = spec.Modulator;
        parameterNames = spec.Modulator is { } modulator
            ? Enumerable.Range(0, modulator.Parameters.Count).Select(k => ExpressionLocal(modulator, k)).ToArray()
            : TermLowering.ParameterNames(spec);
        Sigma = spec.Modulator?.Sigma ?? TermLowering.Lower(spec, parameterNames);
        ScaledInput = spec.Modulator is null && spec.IsAffine ? TermLowering.ScaledInput(spec, parameterNames) : null;
        // Through an affine map the chain rule shares ∂σ/∂x' among σ′ and the scale and shift gradients: computed once.
        SigmaNode? byScaled = ScaledInput is null ? null : SigmaDerivative.ByIntermediate(Sigma, ScaledInput);
        SigmaPrime = byScaled is null ? SigmaDerivative.ByInput(Sigma) : SigmaAlgebra.Multiply(byScaled, ScaledInput![0][0]);
        SigmaNode ByParameter(int k) =>
            byScaled is not null && k == spec.ScaleIndex ? SigmaAlgebra.Multiply(byScaled, SigmaAlgebra.X)
            : byScaled is not null && k == spec.ShiftIndex ? byScaled
            : SigmaDerivative.ByParameter(Sigma, SigmaAlgebra.Parameter(k, parameterNames[k]));
        Gradients = Enumerable.Range(0, ParameterCount)
            .Select(k => new ParameterGradient(Expression is null ? Capitalized(parameterNames[k]) : parameterNames[k], k, ByParameter(k)))
            .Where(g => !g.Derivative.IsConstantValue(0))
            .ToList();
        Invariants = new SigmaInvariants(new[] { Sigma, SigmaPrime }.Concat(Gradients.Select(g => g.Derivative)));
        NeedsZeroGuard = new[] { SigmaPrime }.Concat(Gradients.Select(g => g.Derivative)).SelectMany(tree => tree.Nodes())
            .Any(n => n.Kind is SigmaKind.Divide or SigmaKind.Log or SigmaKind.Sqrt or SigmaKind.Exp || n is { Kind: SigmaKind.Power, Index: < 0 });
    }

    public ElementType Type { get; }

    public int ParameterCount { get; }

    /// <summary>Whether σ is applied to <c>x' = scale·x + shift</c> (terms only).</summary>
    public bool IsAffine { get; }

    /// <summary>σ written as C# (<c>[Normalizer(Modulator = …)]</c>), or null when σ is made of terms.</summary>
    public SigmaModulator? Expression { get; }

    /// <summary>σ as a tree over x and the parameters.</summary>
    public SigmaNode Sigma { get; }

    /// <summary>dσ/dx.</summary>
    public SigmaNode SigmaPrime { get; }

    /// <summary>Every learnable parameter σ depends on, with ∂σ/∂θ and its accumulator; the others' gradients are exactly 0.</summary>
    public IReadOnlyList<ParameterGradient> Gradients { get; }

    /// <summary>What σ, σ′ and ∂σ/∂θ compute once per call.</summary>
    public SigmaInvariants Invariants { get; }

    /// <summary>
    /// Whether σ′ or some ∂σ/∂θ can be infinite or NaN where σ is finite (a division, log, sqrt, exp): then a product with
    /// gσ = 0 is written as exactly 0, as a masked entry needs. Terms never can: a polynomial of clipped distances.
    /// </summary>
    public bool NeedsZeroGuard { get; }

    /// <summary>The affine map <c>x' = scale·x + shift</c> σ's terms apply to, or null.</summary>
    public SigmaNode? ScaledInput { get; }

    /// <summary>The parameters' names in layout order, as σ's formula writes them (<c>a0</c>, <c>scale</c>, <c>cap</c>).</summary>
    public IEnumerable<string> ParameterNames => Expression is { } expression
        ? expression.Parameters.Select(p => p.Name)
        : parameterNames;

    /// <summary>Whether σ is the identity (plain SoftMax): then no entry needs masking before σ.</summary>
    public bool IsIdentity => Sigma.Kind == SigmaKind.Input;

    /// <summary>
    /// Whether σ may map a non-finite input to a finite value (a negative scale maps +∞ to −∞; <c>cap·tanh(x/cap)</c>
    /// maps it to cap): then the forward adds x − x to σ, so that NaN and +∞ inputs still poison their row.
    /// </summary>
    public bool MayHideNonFinite => IsAffine || Expression is not null;

    /// <summary>
    /// The symbol of the parameter at <paramref name="index"/>: <c>a0</c>, <c>b0</c>, …, <c>scale</c>, <c>shift</c> for terms;
    /// <c>θ0_cap</c> for a modulator's argument.
    /// </summary>
    public Symbol ParameterSymbol(int index) => Symbol.Parameter(parameterNames[index], index);

    /// <summary>
    /// The local (or field) that holds a modulator's argument: θ, its index, and its name. The index keeps the names a
    /// kernel derives from it (<c>θ0_capV</c>, <c>gradθ0_cap</c>) apart from every other argument's, whatever they are called.
    /// </summary>
    public static string ExpressionLocal(SigmaModulator modulator, int index) => $"θ{index}_{modulator.Parameters[index].Name}";

    /// <summary>The values σ reads that a kernel computes once per call, in the order to declare them: parameters, then invariants.</summary>
    public IEnumerable<Symbol> SigmaSymbols => Read(Sigma);

    /// <summary>
    /// The values σ′ and the gradients read, in the order to declare them, and all that σ reads too (a backward kernel
    /// checks σ's parameters for NaN, and the GPU's recomputes σ).
    /// </summary>
    public IEnumerable<Symbol> DerivativeSymbols => Read(new[] { Sigma, SigmaPrime }.Concat(Gradients.Select(g => g.Derivative)).ToArray());

    /// <summary>The learnable parameters σ reads, for the NaN check: never an invariant.</summary>
    public IEnumerable<Symbol> ParameterSymbols => SigmaSymbols.Where(s => s.Kind == SymbolKind.Parameter);

    private IEnumerable<Symbol> Read(params SigmaNode[] roots) =>
        roots.SelectMany(root => root.Nodes()).Where(n => n.Kind == SigmaKind.Parameter).Select(n => n.Index).Distinct().OrderBy(i => i)
            .Select(ParameterSymbol)
            .Concat(Invariants.ReadBy(roots));

    private static string Capitalized(string name) => char.ToUpperInvariant(name[0]) + name.Substring(1);
}
