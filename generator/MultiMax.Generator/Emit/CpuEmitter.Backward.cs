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
        string t = type.Keyword();
        bool log = spec.Output == NormalizerOutputKind.LogProbabilities;
        Lanes vector = Lanes.Vector(type), scalar = Lanes.Scalar(type);
        List<(string Name, int ParameterIndex, string? Factor)> gradients = modulator.Gradients().ToList();
        // SoftMax writes y = 0 exactly at masked entries, so gσ = y·(…) vanishes there by itself; everything else masks.
        bool masks = log || !modulator.IsIdentity;

        using var method = writer.Block(
            $"public static void Backward(ReadOnlySpan<{t}> x, ReadOnlySpan<{t}> y, ReadOnlySpan<{t}> dy, Span<{t}> dx, int rowLength, ReadOnlySpan<{t}> parameters, Span<double> parameterGradients)");
        modulator.WriteParameterLocals(writer, withSlopes: true);
        writer.Line($"var zero = Vector<{t}>.Zero;");
        if (modulator.ActiveTerms.Count > 0)
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
            writer.Line("double " + string.Join(", ", gradients.Select(g => g.Name + " = 0")) + ";");
        }

        WriteRowGeometry(writer, type);
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

            writer.Line($"var dyTail = {Preload("dy", type)};");
            writer.Line($"var yTail = {Preload("y", type)};");
            if (masks)
            {
                writer.Line($"var xTail = {Preload("x", type)};");
            }

            using (VectorLoop(writer, type))
            {
                writer.Line($"var gv = {Load("dy")};");
                writer.Line($"var yv = {Load("y")};");
                if (masks)
                {
                    writer.Line($"var xv = {Load("x")};");
                }

                WriteGradientVector(writer, spec, modulator, vector, log, masks, tail: false);
                writer.Line("dxv.StoreUnsafe(ref dxRow, (nuint)i);");
            }

            writer.Line();
            using (writer.Block("if (hasTail)"))
            {
                writer.Line("var gv = dyTail;");
                writer.Line("var yv = yTail;");
                if (masks)
                {
                    writer.Line("var xv = xTail;");
                }

                WriteGradientVector(writer, spec, modulator, vector, log, masks, tail: gradients.Count > 0);
                writer.Line("dxv.StoreUnsafe(ref dxRow, (nuint)tailStart);");
            }

            writer.Line();
            foreach ((string name, _, _) in gradients)
            {
                writer.Line($"{t} {scalar.Accumulator(name)} = Vector.Sum({vector.Accumulator(name)});");
            }

            using (ScalarLoop(writer))
            {
                string gs = log
                    ? $"{Scalar("dy")} - {type.MathClass()}.Exp({Scalar("y")}) * shared"
                    : $"{Scalar("y")} * ({Scalar("dy")} - shared)";
                if (masks)
                {
                    writer.Line($"bool masked = {Scalar("x")} == {t}.NegativeInfinity;");
                    writer.Line($"{t} gs = masked ? 0 : {gs};");
                }
                else
                {
                    writer.Line($"{t} gs = {gs};");
                }

                WriteInputGradient(writer, spec, modulator, scalar, $"masked ? 0 : {Scalar("x")}", "gs");
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

    /// <summary>
    /// gσ and dx of the vector (gv, yv[, xv]). For the tail vector, only its new lanes enter the parameter sums.
    /// </summary>
    private static void WriteGradientVector(
        SourceWriter writer, NormalizerSpec spec, ModulatorCode modulator, Lanes vector, bool log, bool masks, bool tail)
    {
        string gs = log ? "gv - VectorMath.Exp(yv) * sharedBroadcast" : "yv * (gv - sharedBroadcast)";
        if (masks)
        {
            writer.Line("var masked = Vector.Equals(xv, negativeInfinity);");
            writer.Line($"var gs = Vector.ConditionalSelect(masked, zero, {gs});");
        }
        else
        {
            writer.Line($"var gs = {gs};");
        }

        if (tail)
        {
            writer.Line("var gsNew = Vector.ConditionalSelect(tailLanes, gs, zero); // lanes no whole vector summed");
        }

        WriteInputGradient(writer, spec, modulator, vector, "Vector.ConditionalSelect(masked, zero, xv)", tail ? "gsNew" : "gs");
    }

    /// <summary>Pass 1 of the backward: the sum every entry's gradient shares. It only reads, so the tail needs no preload.</summary>
    private static void WriteSharedTerm(SourceWriter writer, ElementType type, bool log)
    {
        string t = type.Keyword();
        writer.Line(log
            ? "// Pass 1: Σ g over the unmasked entries (a masked output is the constant −∞: its g reaches nothing)."
            : "// Pass 1: Σ g·y, the term the SoftMax Jacobian shares across the row.");
        string Term(string at) => log
            ? $"Vector.ConditionalSelect(Vector.Equals({Load("x", at)}, negativeInfinity), zero, {Load("dy", at)})"
            : $"{Load("dy", at)} * {Load("y", at)}";

        writer.Line("var sharedV = zero;");
        using (VectorLoop(writer, type))
        {
            writer.Line($"sharedV += {Term("i")};");
        }

        using (writer.Block("if (hasTail)"))
        {
            writer.Line($"sharedV += Vector.ConditionalSelect(tailLanes, {Term("tailStart")}, zero);");
        }


        writer.Line();
        writer.Line($"{t} shared = Vector.Sum(sharedV);");
        using (ScalarLoop(writer))
        {
            writer.Line(log
                ? $"shared += {Scalar("x")} == {t}.NegativeInfinity ? 0 : {Scalar("dy")};"
                : $"shared += {Scalar("dy")} * {Scalar("y")};");
        }
    }

    /// <summary>
    /// Writes <c>dxv</c> = x'-slope·σ'(x')·gσ and the parameter-gradient updates, in either dialect; the sums take
    /// <paramref name="gsForSums"/>, which is gσ itself except for the tail vector's already-summed lanes.
    /// </summary>
    private static void WriteInputGradient(
        SourceWriter writer, NormalizerSpec spec, ModulatorCode modulator, Lanes lanes, string maskedInput, string gsForSums)
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
            modulator.WriteSigmaDerivative(writer, lanes, u, gsForSums, "ds");
            writer.Line("var dxv = gs * ds; // dx = σ'(x)·gσ");
            return;
        }

        string chain = "gs", chainForSums = gsForSums;
        if (hasTerms)
        {
            modulator.WriteSigmaDerivative(writer, lanes, u, gsForSums, "ds");
            writer.Line("var gds = gs * ds; // gσ·σ'(x'): the gradient at x'");
            chain = "gds";
            chainForSums = "gds";
            if (gsForSums != "gs")
            {
                writer.Line($"var gdsNew = {gsForSums} * ds;");
                chainForSums = "gdsNew";
            }
        }

        writer.Line($"var dxv = {lanes.Local("scale")} * {chain}; // dx = scale·σ'(x')·gσ");
        writer.Line($"{lanes.Accumulator("gradScale")} += {chainForSums} * xz;");
        writer.Line($"{lanes.Accumulator("gradShift")} += {chainForSums};");
    }
}
