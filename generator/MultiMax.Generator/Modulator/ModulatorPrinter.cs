using System;
using System.Linq;
using MultiMax.Generator.Emit;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Modulator;

/// <summary>
/// Writes σ, σ′ and gσ·∂σ/∂θ of one <see cref="ModulatorMath"/> in one <see cref="IDialect"/>, as straight-line code:
/// constants folded in, powers unrolled, terms with a constant zero coefficient absent. Every backend calls it, so
/// the mathematics is written here and nowhere else; callers hand in the locals it reads and get back the locals it
/// declares.
/// </summary>
/// <remarks>
/// The locals it declares are its own and carry fixed names that no emitter uses for anything else: <c>u</c> (x′),
/// <c>r{k}</c>, <c>on{k}</c> and <c>slope{k}</c> per term, <c>ds</c> (σ′), <c>gds</c>/<c>gdsNew</c>, and the names the
/// caller passes for σ and dx.
/// </remarks>
internal sealed class ModulatorPrinter(ModulatorMath math, IDialect dialect)
{
    public ModulatorMath Math => math;

    /// <summary>Writes <c>u = scale·x + shift</c> when σ is affine and returns u; otherwise returns x itself.</summary>
    public Local WriteAffine(SourceWriter writer, Local x)
    {
        if (math.Scale is null || math.Shift is null)
        {
            return x;
        }

        var u = new Local("u");
        writer.Line($"{dialect.Declare(u, $"{dialect.Reference(math.Scale)} * {x} + {dialect.Reference(math.Shift)}")} // x' = scale·x + shift");
        return u;
    }

    /// <summary>Declares <paramref name="name"/> = σ(u), one statement per term, and returns it.</summary>
    /// <remarks>
    /// A term is <c>(a·r)·r^(p−1)</c>, multiplied left to right and added in one fused step: a zero coefficient
    /// contributes exactly 0 however large r is (0·r is 0 while r is finite; a·r^p would be 0·∞), and a finite input
    /// overflows only where the term itself does.
    /// </remarks>
    public Local WriteSigma(SourceWriter writer, Local u, string name)
    {
        var sigma = new Local(name);
        if (math.Expression is { } expression)
        {
            string value = Code(u, "σ").Write(writer, expression.Sigma);
            writer.Line($"{dialect.Declare(sigma, value)} // σ = {SigmaText.Of(expression.Sigma)}");
            return sigma;
        }

        writer.Line(dialect.Declare(sigma, u.Name));
        foreach (TermMath term in math.Terms)
        {
            Local r = WriteDistance(writer, term, u);
            if (term.Coefficient.IsConstantValue(1) || term.Coefficient.IsConstantValue(-1))
            {
                writer.Line($"{sigma} {(term.Coefficient.Value > 0 ? "+=" : "-=")} {dialect.Power(r, term.Power)};");
            }
            else
            {
                writer.Line(dialect.AddProduct(sigma, TimesPower(dialect.Reference(term.Coefficient), r, term.Power - 1), r.Name));
            }
        }

        return sigma;
    }

    /// <summary>
    /// Writes the input gradient of one entry from gσ, and adds gσ·∂σ/∂θ to every parameter's accumulator; returns
    /// the local holding dx (gσ itself when σ is the identity).
    /// </summary>
    /// <param name="x">The entry (not yet affine-mapped); a masked entry must arrive as a finite stand-in.</param>
    /// <param name="gs">gσ, the gradient with respect to σ.</param>
    /// <param name="gsForSums">What the parameter sums take instead of gσ: gσ with lanes already summed zeroed.</param>
    /// <param name="accumulator">The local that sums each parameter's gradient.</param>
    /// <param name="name">The name to declare dx under.</param>
    public Local WriteInputGradient(
        SourceWriter writer, Local x, Local gs, Local gsForSums, Func<ParameterGradient, Local> accumulator, string name)
    {
        if (math.IsIdentity)
        {
            return gs;
        }

        var dx = new Local(name);
        if (math.Expression is not null)
        {
            WriteExpressionGradient(writer, x, gs, gsForSums, accumulator, dx);
            return dx;
        }

        Local u = WriteAffine(writer, x);
        if (math.Scale is null)
        {
            Local ds = WriteDerivative(writer, u, gsForSums, accumulator);
            writer.Line($"{dialect.Declare(dx, $"{gs} * {ds}")} // dx = σ'(x)·gσ");
            return dx;
        }

        // Through the affine map: the gradient at x' is gσ·σ'(x'), and x' = scale·x + shift passes it on.
        Local chain = gs, chainForSums = gsForSums;
        if (math.Terms.Count > 0)
        {
            Local ds = WriteDerivative(writer, u, gsForSums, accumulator);
            chain = chainForSums = new Local("gds");
            writer.Line($"{dialect.Declare(chain, $"{gs} * {ds}")} // gσ·σ'(x'): the gradient at x'");
            if (gsForSums != gs)
            {
                chainForSums = new Local("gdsNew");
                writer.Line(dialect.Declare(chainForSums, $"{gsForSums} * {ds}"));
            }
        }

        writer.Line($"{dialect.Declare(dx, $"{dialect.Reference(math.Scale)} * {chain}")} // dx = scale·σ'(x')·gσ");
        writer.Line($"{accumulator(Gradient("Scale"))} += {chainForSums} * {x};");
        writer.Line($"{accumulator(Gradient("Shift"))} += {chainForSums};");
        return dx;
    }

    /// <summary>
    /// σ written as C#: dx = gσ·σ′(x) and gσ·∂σ/∂θ from the trees <see cref="ModulatorMath"/> derived, printed together
    /// so that they share what they have in common. An entry with gσ = 0 contributes exactly 0, even where σ′ or ∂σ/∂θ
    /// is infinite: a masked entry arrives with gσ = 0 at a stand-in where σ′ may be anything (log at 0, say).
    /// </summary>
    private void WriteExpressionGradient(
        SourceWriter writer, Local x, Local gs, Local gsForSums, Func<ParameterGradient, Local> accumulator, Local dx)
    {
        SigmaCode code = Code(x, "dσ");
        string ds = code.Write(writer, math.SigmaPrime!);
        string[] derivatives = math.Gradients.Select(g => code.Write(writer, g.Derivative!)).ToArray();
        string zero = dialect.ConstantLike(0, x);
        string Guarded(Local g, string derivative) =>
            dialect.Select(dialect.Compare(SigmaComparison.Equal, g.Name, dialect.Constant(0)), zero, $"{g} * {derivative}");

        writer.Line($"{dialect.Declare(dx, Guarded(gs, ds))} // dx = σ'(x)·gσ, exactly 0 where gσ is");
        for (int k = 0; k < derivatives.Length; k++)
        {
            writer.Line($"{accumulator(math.Gradients[k])} += {Guarded(gsForSums, derivatives[k])}; // gσ·∂σ/∂{math.Expression!.Parameters[math.Gradients[k].ParameterIndex].Name}");
        }
    }

    private SigmaCode Code(Local input, string prefix) =>
        new(dialect, input, math.ExpressionSymbol, dialect.HasCallPrologue ? math.Invariants : null, prefix);

    /// <summary>
    /// Whether a threshold's accumulated sum is subtracted: <c>d/dd = −Σ gσ·c·p·max(x − d, 0)^(p−1)</c> (Above) while
    /// <c>d/db = +Σ gσ·a·p·max(b − x, 0)^(p−1)</c> (Below). The accumulators hold the sums of gσ·(slope term).
    /// </summary>
    public static bool IsSubtracted(ParameterGradient gradient) => gradient is { IsThreshold: true, Term.Side: TermSide.Above };

    /// <summary>
    /// How a symbol is computed once per call: <c>parameters[k]</c>, a slope from its coefficient, or a modulator's
    /// invariant from the parameters and the invariants before it.
    /// </summary>
    public string Definition(Symbol symbol, Local parameters) => symbol switch
    {
        { Kind: SymbolKind.Parameter } => $"{parameters}[{symbol.ParameterIndex}]",
        { Kind: SymbolKind.Invariant, Definition: { } invariant } => Code(new Local("x"), "").Definition(invariant),
        { Kind: SymbolKind.Slope, Coefficient: { } coefficient } =>
            symbol.Power == 1 ? coefficient.Name : $"{coefficient.Name} * {dialect.Constant(symbol.Power)}",
        _ => dialect.Reference(symbol),
    };

    /// <summary>
    /// The condition that a learnable parameter σ reads is NaN, over the locals that hold them (<c>a0</c>, <c>b0</c>, …),
    /// or null when σ reads none. A kernel turns it into NaN rows explicitly: the relu's native max would hide a NaN
    /// threshold (x86 returns the second operand).
    /// </summary>
    public string? AnyParameterIsNaN()
    {
        string[] checks = math.ParameterSymbols.Select(symbol => $"{dialect.Type.Keyword()}.IsNaN({symbol.Name})").ToArray();
        return checks.Length == 0 ? null : string.Join(" | ", checks);
    }

    /// <summary><c>r * r * …</c>, <paramref name="power"/> factors.</summary>
    public static string Product(Local r, int power) => string.Join(" * ", Enumerable.Repeat(r.Name, power));

    /// <summary>
    /// <c>factor · r · r · …</c> with <paramref name="power"/> factors of r, multiplied left to right — so a zero factor
    /// stays 0 through any number of finite r — or the factor alone for power 0.
    /// </summary>
    public static string TimesPower(string factor, Local r, int power) =>
        power == 0 ? factor : factor + string.Concat(Enumerable.Repeat(" * " + r.Name, power));

    /// <summary>
    /// Declares <c>ds</c> = σ′(u), and adds gσ·∂σ/∂θ to the accumulator of every learnable coefficient and threshold
    /// (an Above threshold's sum is negated once, after: <see cref="IsSubtracted"/>).
    /// </summary>
    /// <remarks>
    /// Each term's slope <c>a·p·r^(p−1)</c> is multiplied left to right from the coefficient, and the gradients from
    /// gσ, so a zero coefficient or a zero gσ gives exactly 0 at any finite r, and a NaN in either gives NaN.
    /// </remarks>
    private Local WriteDerivative(SourceWriter writer, Local u, Local gs, Func<ParameterGradient, Local> accumulator)
    {
        var ds = new Local("ds");
        writer.Line(dialect.Declare(ds, dialect.One));
        foreach (TermMath term in math.Terms)
        {
            Local r = WriteDistance(writer, term, u);
            var slope = new Local("slope" + term.Index);
            if (term.Power == 1)
            {
                // The relu's slope as a number, 1 where the distance is positive and 0 at the kink itself (as PyTorch's
                // relu): a product with it keeps a NaN gσ or slope NaN, as autograd does, where a select would drop it.
                var on = new Local("on" + term.Index);
                writer.Line(dialect.Declare(on, dialect.Select(dialect.IsPositive(r), dialect.One, dialect.Zero)));
                writer.Line(dialect.Declare(slope, $"{dialect.Reference(term.Slope)} * {on}"));
            }
            else
            {
                writer.Line(dialect.Declare(slope, TimesPower(dialect.Reference(term.Slope), r, term.Power - 1)));
            }

            writer.Line($"{ds} {(term.SlopeIsSubtracted ? "-=" : "+=")} {slope}; // σ′ {(term.SlopeIsSubtracted ? "−" : "+")}= coefficient·power·r^(power−1)");
            if (term.Coefficient.Kind == SymbolKind.Parameter)
            {
                writer.Line($"{accumulator(Gradient(term, threshold: false))} += {TimesPower(gs.Name, r, term.Power)};");
            }

            if (term.Threshold.Kind == SymbolKind.Parameter)
            {
                writer.Line($"{accumulator(Gradient(term, threshold: true))} += {gs} * {slope};");
            }
        }

        return ds;
    }

    /// <summary>Declares the term's clipped distance r = max(b − u, 0) or max(u − d, 0), with a comment saying which.</summary>
    private Local WriteDistance(SourceWriter writer, TermMath term, Local u)
    {
        Symbol threshold = term.Threshold;
        string difference = (term.Side, threshold) switch
        {
            (TermSide.Below, { IsConstant: true, Value: 0 }) => $"-{u}",
            (TermSide.Above, { IsConstant: true, Value: 0 }) => u.Name,
            (TermSide.Above, { IsConstant: true, Value: < 0 }) => $"{u} + {dialect.Constant(-threshold.Value)}",
            (TermSide.Below, _) => $"{dialect.Reference(threshold)} - {u}",
            _ => $"{u} - {dialect.Reference(threshold)}",
        };

        Local r = term.Distance;
        writer.Line($"{dialect.Declare(r, dialect.Relu(difference))} // {ModulatorText.Term(term, math.IsAffine)}");
        return r;
    }

    private ParameterGradient Gradient(TermMath term, bool threshold) =>
        math.Gradients.Single(g => g.Term == term && g.IsThreshold == threshold);

    private ParameterGradient Gradient(string name) => math.Gradients.Single(g => g.Term is null && g.Name == name);
}
