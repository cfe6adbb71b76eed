using System.Collections.Generic;
using System.Linq;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Emit;

internal static partial class CpuEmitter
{
    /// <summary>
    /// Backward, per row: (1) the Jacobian's shared term — Σ g·y for SoftMax, Σ g for LogSoftMax — and (2) in one
    /// fused pass gσ, dx = σ'(x')·gσ and every parameter's gσ·∂σ/∂θ. Per-row sums go to double block totals.
    /// </summary>
    private static void WriteBackward(SourceWriter writer, NormalizerSpec spec, ModulatorCode modulator)
    {
        ElementType type = spec.ElementType;
        string t = type.Keyword(), math = type.MathClass();
        bool log = spec.Output == NormalizerOutputKind.LogProbabilities;
        bool hasTerms = modulator.ActiveTerms.Count > 0;
        // SoftMax writes y = 0 exactly at masked entries, so gσ = y·(…) vanishes there by itself; everything else masks.
        bool masks = log || !modulator.IsIdentity;
        Lanes vector = Lanes.Vector(type), scalar = Lanes.Scalar(type);
        List<(string Name, int ParameterIndex, string? Factor)> gradients = modulator.Gradients().ToList();

        using var method = writer.Block(
            $"public static void Backward(ReadOnlySpan<{t}> x, ReadOnlySpan<{t}> y, ReadOnlySpan<{t}> dy, Span<{t}> dx, int rowLength, ReadOnlySpan<{t}> parameters, Span<double> parameterGradients)");
        modulator.WriteParameterLocals(writer, withSlopes: true);
        writer.Line($"var zero = Vector<{t}>.Zero;");
        if (hasTerms)
        {
            writer.Line($"var one = Vector<{t}>.One;");
        }

        if (masks)
        {
            writer.Line($"var negativeInfinity = new Vector<{t}>({t}.NegativeInfinity);");
        }

        if (gradients.Count > 0)
        {
            writer.Line("// This block's parameter gradients, summed in double over its rows.");
            writer.Line(string.Join(", ", gradients.Select(g => g.Name + " = 0")).Insert(0, "double ") + ";");
        }

        using (RowLoop(writer, type, "x", "y", "dy", "dx"))
        {
            WriteSharedTerm(writer, type, log);
            writer.Line();
            string softMaxGradient = log ? "gσ = g − exp(y)·Σ g" : "gσ = y·(g − Σ g·y)";
            writer.Line(modulator.IsIdentity
                ? $"// Pass 2: dx = {softMaxGradient}; masked entries get 0."
                : $"// Pass 2: {softMaxGradient}; dx = σ'(x')·gσ; and gσ·∂σ/∂θ for every parameter. Masked entries get 0.");
            writer.Line($"var sharedBroadcast = new Vector<{t}>(shared);");
            if (gradients.Count > 0)
            {
                writer.Line($"Vector<{t}> {string.Join(", ", gradients.Select(g => vector.Accumulator(g.Name) + " = zero"))};");
            }

            writer.Line("int i = 0;");
            using (writer.Block($"for (; i < vectorEnd; i += Vector<{t}>.Count)"))
            {
                writer.Line($"var gv = {Load("dy", type)};");
                writer.Line($"var yv = {Load("y", type)};");
                string gs = log ? "gv - VectorMath.Exp(yv) * sharedBroadcast" : "yv * (gv - sharedBroadcast)";
                if (masks)
                {
                    writer.Line($"var xv = {Load("x", type)};");
                    writer.Line("var masked = Vector.Equals(xv, negativeInfinity);");
                    writer.Line($"var gs = Vector.ConditionalSelect(masked, zero, {gs});");
                }
                else
                {
                    writer.Line($"var gs = {gs};");
                }

                WriteInputGradient(writer, spec, modulator, vector, "Vector.ConditionalSelect(masked, zero, xv)");
                writer.Line("dxv.StoreUnsafe(ref dxRow, (nuint)i);");
            }

            writer.Line();
            foreach ((string name, _, _) in gradients)
            {
                writer.Line($"{t} {scalar.Accumulator(name)} = Vector.Sum({vector.Accumulator(name)});");
            }

            using (writer.Block("for (; i < rowLength; i++)"))
            {
                string gs = log ? $"{Scalar("dy")} - {math}.Exp({Scalar("y")}) * shared" : $"{Scalar("y")} * ({Scalar("dy")} - shared)";
                if (masks)
                {
                    writer.Line($"bool masked = {Scalar("x")} == {t}.NegativeInfinity;");
                    writer.Line($"{t} gs = masked ? 0 : {gs};");
                }
                else
                {
                    writer.Line($"{t} gs = {gs};");
                }

                WriteInputGradient(writer, spec, modulator, scalar, $"masked ? 0 : {Scalar("x")}");
                writer.Line($"{Scalar("dx")} = dxv;");
            }

            if (gradients.Count > 0)
            {
                writer.Line();
                foreach ((string name, _, _) in gradients)
                {
                    writer.Line($"{name} += {scalar.Accumulator(name)};");
                }
            }
        }

        if (gradients.Count > 0)
        {
            writer.Line();
            writer.Line("// Add this block's sums; a threshold's gradient carries the factor ∓coefficient·power left out above.");
            foreach ((string name, int index, string? factor) in gradients)
            {
                writer.Line(factor is null
                    ? $"parameterGradients[{index}] += {name};"
                    : $"parameterGradients[{index}] += {factor} * {name};");
            }
        }
    }

    /// <summary>Pass 1 of the backward: the sum every entry's gradient shares.</summary>
    private static void WriteSharedTerm(SourceWriter writer, ElementType type, bool log)
    {
        string t = type.Keyword();
        writer.Line(log
            ? "// Pass 1: Σ g over the unmasked entries (a masked output is the constant −∞: its g reaches nothing)."
            : "// Pass 1: Σ g·y, the term the SoftMax Jacobian shares across the row.");
        writer.Line("var sharedV = zero;");
        writer.Line("int j = 0;");
        using (writer.Block($"for (; j < vectorEnd; j += Vector<{t}>.Count)"))
        {
            writer.Line(log
                ? "sharedV += Vector.ConditionalSelect(Vector.Equals(Vector.LoadUnsafe(ref xRow, (nuint)j), negativeInfinity), zero, Vector.LoadUnsafe(ref dyRow, (nuint)j));"
                : "sharedV += Vector.LoadUnsafe(ref dyRow, (nuint)j) * Vector.LoadUnsafe(ref yRow, (nuint)j);");
        }

        writer.Line();
        writer.Line($"{t} shared = Vector.Sum(sharedV);");
        using (writer.Block("for (; j < rowLength; j++)"))
        {
            writer.Line(log
                ? $"shared += Unsafe.Add(ref xRow, j) == {t}.NegativeInfinity ? 0 : Unsafe.Add(ref dyRow, j);"
                : "shared += Unsafe.Add(ref dyRow, j) * Unsafe.Add(ref yRow, j);");
        }
    }

    /// <summary>Writes <c>dxv</c> = x'-slope·σ'(x')·gσ and the parameter-gradient updates, in either dialect.</summary>
    private static void WriteInputGradient(SourceWriter writer, NormalizerSpec spec, ModulatorCode modulator, Lanes lanes, string maskedInput)
    {
        bool hasTerms = modulator.ActiveTerms.Count > 0;
        if (!hasTerms && !spec.IsAffine)
        {
            writer.Line("var dxv = gs;");
            return;
        }

        // Masked entries evaluate σ' at 0 instead of −∞: finite, and multiplied by gσ = 0.
        writer.Line($"var xz = {maskedInput};");
        string u = modulator.WriteAffine(writer, lanes, "xz");
        if (!spec.IsAffine)
        {
            modulator.WriteSigmaDerivative(writer, lanes, u, "gs", "ds");
            writer.Line("var dxv = gs * ds; // dx = σ'(x)·gσ");
            return;
        }

        string chain = "gs";
        if (hasTerms)
        {
            modulator.WriteSigmaDerivative(writer, lanes, u, "gs", "ds");
            writer.Line("var gds = gs * ds; // gσ·σ'(x'): the gradient at x'");
            chain = "gds";
        }

        writer.Line($"var dxv = {lanes.Local("scale")} * {chain}; // dx = scale·σ'(x')·gσ");
        writer.Line($"{lanes.Accumulator("gradScale")} += {chain} * xz;");
        writer.Line($"{lanes.Accumulator("gradShift")} += {chain};");
    }
}
