using System;
using System.Linq;
using MultiMax.Generator.Emit;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Modulator;

/// <summary>
/// Writes σ, σ′ and gσ·∂σ/∂θ of one <see cref="ModulatorMath"/> in one <see cref="IDialect"/>, as straight-line code
/// (<see cref="SigmaCode"/>): constants folded in, values that do not depend on x read from the call's prologue, shared
/// values computed once. Every backend calls it, so the mathematics is written here and nowhere else; callers hand in
/// the locals it reads and get back the locals it declares.
/// </summary>
/// <remarks>
/// The locals it declares carry fixed stems that no emitter uses for anything else: <c>σ0, σ1, …</c> for σ,
/// <c>dσ0, dσ1, …</c> for σ′ and the gradients, and the names the caller passes for σ and dx.
/// </remarks>
internal sealed class ModulatorPrinter(ModulatorMath math, IDialect dialect)
{
    public ModulatorMath Math => math;

    /// <summary>Declares <paramref name="name"/> = σ(x) and returns it.</summary>
    public Local WriteSigma(SourceWriter writer, Local x, string name)
    {
        var sigma = new Local(name);
        string value = Code(x, "σ").Write(writer, math.Sigma);
        writer.Line($"{dialect.Declare(sigma, value)} // σ = {SigmaText.Of(math.Sigma, math.ScaledInput)}");
        return sigma;
    }

    /// <summary>
    /// Writes the input gradient of one entry from gσ, and adds gσ·∂σ/∂θ to every parameter's accumulator; returns
    /// the local holding dx (gσ itself when σ is the identity). σ′ and the gradients are printed together, so that they
    /// share what they have in common.
    /// </summary>
    /// <param name="x">The entry; a masked entry must arrive as a finite stand-in, with gσ = 0.</param>
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

        SigmaCode code = Code(x, "dσ");
        var dx = new Local(name);
        writer.Line($"{dialect.Declare(dx, Product(writer, code, gs, math.SigmaPrime))} // dx = σ'(x)·gσ{(math.NeedsZeroGuard ? ", exactly 0 where gσ is" : "")}");
        foreach (ParameterGradient gradient in math.Gradients)
        {
            // A negated derivative (a threshold above: d/dd max(x − d, 0) = −1) is subtracted, not negated first.
            (string operation, SigmaNode derivative) = gradient.Derivative.Kind == SigmaKind.Negate ? ("-=", gradient.Derivative[0]) : ("+=", gradient.Derivative);
            writer.Line($"{accumulator(gradient)} {operation} {Product(writer, code, gsForSums, derivative)}; // gσ·∂σ/∂{ParameterName(gradient)}");
        }

        return dx;
    }

    /// <summary>
    /// How a symbol is computed once per call: <c>parameters[k]</c>, or an invariant from the parameters and the invariants
    /// before it.
    /// </summary>
    public string Definition(Symbol symbol, Local parameters) => symbol switch
    {
        { Kind: SymbolKind.Parameter } => $"{parameters}[{symbol.ParameterIndex}]",
        { Kind: SymbolKind.Invariant, Definition: { } invariant } => Code(new Local("x"), "").Definition(invariant),
        _ => dialect.Reference(symbol),
    };

    /// <summary>
    /// The condition that a learnable parameter σ reads is NaN, over the locals that hold them, or null when σ reads
    /// none. A kernel turns it into NaN rows explicitly: the relu's native max would hide a NaN threshold (x86 returns
    /// the second operand), and a select may not read the parameter at all.
    /// </summary>
    public string? AnyParameterIsNaN()
    {
        string[] checks = math.ParameterSymbols.Select(symbol => $"{dialect.Type.Keyword()}.IsNaN({symbol.Name})").ToArray();
        return checks.Length == 0 ? null : string.Join(" | ", checks);
    }

    /// <summary><c>r * r * …</c>, <paramref name="power"/> factors.</summary>
    public static string Product(Local r, int power) => string.Join(" * ", Enumerable.Repeat(r.Name, power));

    /// <summary>
    /// gσ times a derivative, multiplied left to right from gσ (so gσ = 0 gives 0 through any finite factors: a huge
    /// score's r² may overflow where its gσ is 0), and written as exactly 0 where gσ is when the derivative may be infinite.
    /// </summary>
    private string Product(SourceWriter writer, SigmaCode code, Local g, SigmaNode derivative)
    {
        string product = derivative is { Kind: SigmaKind.Power, Index: > 0 } power
            ? SigmaCode.TimesPower(g.Name, code.Write(writer, power[0]), power.Index)
            : $"{g} * {code.Write(writer, derivative)}";
        return math.NeedsZeroGuard
            ? dialect.Select(dialect.Compare(SigmaComparison.Equal, g.Name, dialect.Constant(0)), dialect.ConstantLike(0, g), product)
            : product;
    }

    private string ParameterName(ParameterGradient gradient) =>
        math.Expression is { } expression ? expression.Parameters[gradient.ParameterIndex].Name : math.ParameterSymbol(gradient.ParameterIndex).Name;

    private SigmaCode Code(Local input, string prefix) =>
        new(dialect, input, math.ParameterSymbol, dialect.HasCallPrologue ? math.Invariants : null, prefix);
}
