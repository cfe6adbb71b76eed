using System.Collections.Generic;
using System.Linq;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Emit;

/// <summary>
/// Writes σ, σ' and the parameter-gradient updates of one modulator as straight-line code: constants folded in,
/// powers unrolled, terms whose coefficient is a constant zero left out entirely.
/// </summary>
/// <remarks>
/// Names: term k's coefficient is <c>a{k}</c> (Below) or <c>c{k}</c> (Above), its threshold <c>b{k}</c> or
/// <c>d{k}</c>, its slope coefficient·power <c>a{k}p</c>/<c>c{k}p</c>, its clipped distance <c>r{k}</c>.
/// </remarks>
internal sealed class ModulatorCode
{
    private readonly NormalizerSpec spec;
    private readonly ElementType type;

    public ModulatorCode(NormalizerSpec spec)
    {
        this.spec = spec;
        type = spec.ElementType;
        ActiveTerms = spec.Terms.Select((term, index) => (term, index)).Where(t => !t.term.VanishesIdentically).ToList();
    }

    /// <summary>The terms that are not identically zero, with their index in the parameter layout.</summary>
    public IReadOnlyList<(ModulatorTerm Term, int Index)> ActiveTerms { get; }

    /// <summary>Whether σ is the identity (plain SoftMax): then no entry needs masking before σ.</summary>
    public bool IsIdentity => ActiveTerms.Count == 0 && !spec.IsAffine;

    public static string CoefficientSymbol(ModulatorTerm term, int index) => (term.Side == TermSide.Below ? "a" : "c") + index;

    public static string ThresholdSymbol(ModulatorTerm term, int index) => (term.Side == TermSide.Below ? "b" : "d") + index;

    public static string SlopeSymbol(ModulatorTerm term, int index) => CoefficientSymbol(term, index) + "p";

    /// <summary>Reads the learnable parameters once per block and broadcasts what the SIMD loops use.</summary>
    public void WriteParameterLocals(SourceWriter writer, bool withSlopes)
    {
        string t = type.Keyword();
        if (spec.HasParameters)
        {
            writer.Line("// Learnable parameters: read once per block of rows, broadcast to every SIMD lane.");
        }

        Lanes vector = Lanes.Vector(type);
        foreach ((ModulatorTerm term, int index) in ActiveTerms)
        {
            // Constant coefficients are literals in the code; the backward broadcasts slopes instead of coefficients.
            if (term.Coefficient.IsLearnable)
            {
                WriteLearnable(writer, CoefficientSymbol(term, index), term.Coefficient.ParameterIndex, broadcast: !withSlopes);
            }

            // Thresholds are subtracted lane by lane, so they are broadcast; a constant 0 folds away entirely.
            if (term.Threshold.IsLearnable)
            {
                WriteLearnable(writer, ThresholdSymbol(term, index), term.Threshold.ParameterIndex, broadcast: true);
            }
            else if (!term.Threshold.IsConstant(0))
            {
                writer.Line($"var {ThresholdSymbol(term, index)}V = {vector.Constant(term.Threshold.Constant)}; // constant");
            }
        }

        if (spec.IsAffine)
        {
            writer.Line($"{t} scale = parameters[{spec.ScaleIndex}], shift = parameters[{spec.ShiftIndex}];");
            writer.Line($"var scaleV = new Vector<{t}>(scale);");
            writer.Line($"var shiftV = new Vector<{t}>(shift);");
        }

        if (!withSlopes)
        {
            return;
        }

        foreach ((ModulatorTerm term, int index) in ActiveTerms)
        {
            // σ' needs coefficient·power; with a constant coefficient it is a literal.
            string slope = SlopeSymbol(term, index);
            if (term.Coefficient.IsLearnable)
            {
                string coefficient = CoefficientSymbol(term, index);
                writer.Line($"{t} {slope} = {(term.Power == 1 ? coefficient : $"{coefficient} * {type.Literal(term.Power)}")};");
                writer.Line($"var {slope}V = new Vector<{t}>({slope});");
            }
            else
            {
                writer.Line($"var {slope}V = {vector.Constant(term.Coefficient.Constant * term.Power)}; // constant");
            }
        }
    }

    private void WriteLearnable(SourceWriter writer, string symbol, int parameterIndex, bool broadcast)
    {
        string t = type.Keyword();
        writer.Line($"{t} {symbol} = parameters[{parameterIndex}];");
        if (broadcast)
        {
            writer.Line($"var {symbol}V = new Vector<{t}>({symbol});");
        }
    }

    /// <summary>Writes the affine map <c>x' = scale·x + shift</c> when there is one; returns the variable holding x'.</summary>
    public string WriteAffine(SourceWriter writer, Lanes lanes, string input)
    {
        if (!spec.IsAffine)
        {
            return input;
        }

        writer.Line($"var u = {lanes.Local("scale")} * {input} + {lanes.Local("shift")}; // x' = scale·x + shift");
        return "u";
    }

    /// <summary>Writes <c>var s = σ(u);</c>, one line per term.</summary>
    public void WriteSigma(SourceWriter writer, Lanes lanes, string u, string s)
    {
        writer.Line($"var {s} = {u};");
        foreach ((ModulatorTerm term, int index) in ActiveTerms)
        {
            string r = "r" + index;
            writer.Line($"var {r} = {Distance(lanes, term, index, u)}; // {Describe(term, index)}");
            string powered = Power(r, term.Power);
            TermValue coefficient = term.Coefficient;
            if (coefficient.IsConstant(1) || coefficient.IsConstant(-1))
            {
                writer.Line($"{s} {(coefficient.Constant > 0 ? "+=" : "-=")} {powered};");
            }
            else
            {
                string factor = coefficient.IsLearnable ? lanes.Local(CoefficientSymbol(term, index)) : lanes.Constant(coefficient.Constant);
                writer.Line($"{s} = {lanes.MultiplyAdd(factor, powered, s)};");
            }
        }
    }

    /// <summary>
    /// Writes <c>ds = σ'(u)</c> and adds <c>gs·∂σ/∂θ</c> to the accumulator of every learnable coefficient and
    /// threshold (thresholds without their constant factor −slope or +slope, applied once per block).
    /// </summary>
    public void WriteSigmaDerivative(SourceWriter writer, Lanes lanes, string u, string gs, string ds)
    {
        writer.Line($"var {ds} = {lanes.One};");
        foreach ((ModulatorTerm term, int index) in ActiveTerms)
        {
            string r = "r" + index;
            string slope = SlopeLocal(lanes, term, index);
            string towards = term.Side == TermSide.Below ? "-=" : "+=";
            writer.Line($"var {r} = {Distance(lanes, term, index, u)}; // {Describe(term, index)}");
            string coefficientGradient, thresholdGradient;
            if (term.Power == 1)
            {
                // The relu's slope: 1 where the distance is positive, 0 at the kink itself (as PyTorch's relu).
                writer.Line($"var on{index} = {lanes.IsPositive(r)};");
                writer.Line($"{ds} {towards} {lanes.Select("on" + index, slope, lanes.Zero)};");
                coefficientGradient = $"{gs} * {r}";
                thresholdGradient = lanes.Select("on" + index, gs, lanes.Zero);
            }
            else
            {
                string below = Power(r, term.Power - 1);
                if (term.Power > 2)
                {
                    writer.Line($"var {r}Pm1 = {below};");
                    below = r + "Pm1";
                }

                writer.Line($"{ds} {towards} {slope} * {Parenthesized(below)};");
                coefficientGradient = $"{gs} * ({below} * {r})";
                thresholdGradient = $"{gs} * {Parenthesized(below)}";
            }

            if (term.Coefficient.IsLearnable)
            {
                writer.Line($"{lanes.Accumulator(GradientName(CoefficientSymbol(term, index)))} += {coefficientGradient};");
            }

            if (term.Threshold.IsLearnable)
            {
                writer.Line($"{lanes.Accumulator(GradientName(ThresholdSymbol(term, index)))} += {thresholdGradient};");
            }
        }
    }

    /// <summary>
    /// Every parameter's gradient accumulator name and the factor its sum is multiplied by when it is written out:
    /// a threshold's gradient is ∓slope·Σ gσ·r^(p−1), so the sum leaves out the sign and slope.
    /// </summary>
    public IEnumerable<(string Name, int ParameterIndex, string? Factor)> Gradients()
    {
        var gradients = new List<(string, int, string?)>();
        foreach ((ModulatorTerm term, int index) in ActiveTerms)
        {
            if (term.Coefficient.IsLearnable)
            {
                gradients.Add((GradientName(CoefficientSymbol(term, index)), term.Coefficient.ParameterIndex, null));
            }

            if (term.Threshold.IsLearnable)
            {
                string slope = term.Coefficient.IsLearnable ? SlopeSymbol(term, index) : type.Literal(term.Coefficient.Constant * term.Power);
                gradients.Add((GradientName(ThresholdSymbol(term, index)), term.Threshold.ParameterIndex,
                    term.Side == TermSide.Below ? slope : $"-{slope}"));
            }
        }

        if (spec.IsAffine)
        {
            gradients.Add(("gradScale", spec.ScaleIndex, null));
            gradients.Add(("gradShift", spec.ShiftIndex, null));
        }

        return gradients;
    }

    public static string GradientName(string symbol) => "grad" + char.ToUpperInvariant(symbol[0]) + symbol.Substring(1);

    /// <summary>σ as a formula for the generated file's header, e.g. <c>x + p[0]·max(p[2] − x, 0) − 2·max(x − 1, 0)^2</c>.</summary>
    public string DescribeSigma()
    {
        var formula = new System.Text.StringBuilder(spec.IsAffine ? "x'" : "x");
        foreach ((ModulatorTerm term, int _) in ActiveTerms)
        {
            TermValue coefficient = term.Coefficient;
            bool negative = !coefficient.IsLearnable && coefficient.Constant < 0;
            formula.Append(negative ? " − " : " + ");
            if (coefficient.IsLearnable)
            {
                formula.Append(Describe(coefficient)).Append('·');
            }
            else if (System.Math.Abs(coefficient.Constant) != 1)
            {
                formula.Append(Number(System.Math.Abs(coefficient.Constant))).Append('·');
            }

            formula.Append(DescribeDistance(term)).Append(term.Power == 1 ? "" : "^" + term.Power);
        }

        return formula.ToString();
    }

    /// <summary>A term's clipped distance, e.g. <c>max(p[4] − x, 0)</c> or <c>max(x', 0)</c>.</summary>
    private string DescribeDistance(ModulatorTerm term)
    {
        string u = spec.IsAffine ? "x'" : "x";
        if (term.Threshold.IsConstant(0))
        {
            return term.Side == TermSide.Below ? $"max(−{u}, 0)" : $"max({u}, 0)";
        }

        if (term.Side == TermSide.Above && !term.Threshold.IsLearnable && term.Threshold.Constant < 0)
        {
            return $"max({u} + {Number(-term.Threshold.Constant)}, 0)";
        }

        string threshold = Describe(term.Threshold);
        return term.Side == TermSide.Below ? $"max({threshold} − {u}, 0)" : $"max({u} − {threshold}, 0)";
    }

    private static string Describe(TermValue value) => value.IsLearnable ? $"p[{value.ParameterIndex}]" : Number(value.Constant);

    private static string Number(double value) =>
        value.ToString("R", System.Globalization.CultureInfo.InvariantCulture).Replace('-', '−');

    private string Distance(Lanes lanes, ModulatorTerm term, int index, string u)
    {
        string difference;
        if (term.Threshold.IsConstant(0))
        {
            difference = term.Side == TermSide.Below ? "-" + u : u;
        }
        else
        {
            string threshold = term.Threshold.IsLearnable || lanes.IsVector
                ? lanes.Local(ThresholdSymbol(term, index))
                : type.Literal(term.Threshold.Constant);
            difference = term.Side == TermSide.Below ? $"{threshold} - {u}" : $"{u} - {threshold}";
        }

        return lanes.Relu(difference);
    }

    private string SlopeLocal(Lanes lanes, ModulatorTerm term, int index) =>
        lanes.IsVector || term.Coefficient.IsLearnable
            ? lanes.Local(SlopeSymbol(term, index))
            : type.Literal(term.Coefficient.Constant * term.Power);

    private string Describe(ModulatorTerm term, int index) => $"{term.Side}({term.Power}): {DescribeDistance(term)}";

    private static string Power(string r, int power) => string.Join(" * ", Enumerable.Repeat(r, power));

    private static string Parenthesized(string expression) => expression.Contains(" ") ? $"({expression})" : expression;
}
