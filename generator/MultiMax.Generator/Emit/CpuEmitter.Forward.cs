using MultiMax.Generator.Model;

namespace MultiMax.Generator.Emit;

internal static partial class CpuEmitter
{
    /// <summary>
    /// Forward, per row: (1) σ into y and its maximum, (2) exp(σ − max σ) and its sum, (3) normalise.
    /// The row stays in cache between passes, so memory sees one read of x and one write of y.
    /// </summary>
    private static void WriteForward(SourceWriter writer, NormalizerSpec spec, ModulatorCode modulator)
    {
        ElementType type = spec.ElementType;
        string t = type.Keyword(), math = type.MathClass();
        bool log = spec.Output == NormalizerOutputKind.LogProbabilities;

        using var method = writer.Block($"public static void Forward(ReadOnlySpan<{t}> x, Span<{t}> y, int rowLength, ReadOnlySpan<{t}> parameters)");
        modulator.WriteParameterLocals(writer, withSlopes: false);
        writer.Line($"var zero = Vector<{t}>.Zero;");
        writer.Line($"var negativeInfinity = new Vector<{t}>({t}.NegativeInfinity);");
        WriteRowGeometry(writer, type);
        using var rows = RowLoop(writer, type, "x", "y");

        // With σ the identity, pass 1 only needs the maximum and pass 2 reads x; otherwise σ is stored in y.
        string sigmaRow = modulator.IsIdentity ? "x" : "y";
        WriteMaximumPass(writer, spec, modulator);

        writer.Line();
        writer.Line(log
            ? "// A row with every entry masked has no mass to distribute: every log-probability is −∞ (log 0), not NaN."
            : "// A row with every entry masked has no mass to distribute: it is all zeros, not NaN.");
        using (writer.Block($"if (max == {t}.NegativeInfinity)"))
        {
            writer.Line(log
                ? $"MemoryMarshal.CreateSpan(ref yRow, rowLength).Fill({t}.NegativeInfinity);"
                : "MemoryMarshal.CreateSpan(ref yRow, rowLength).Clear();");
            writer.Line("continue;");
        }

        writer.Line();
        writer.Line(log
            ? "// Pass 2: Σ exp(σ − max σ). Subtract max σ, not max x: σ is not monotone."
            : "// Pass 2: e = exp(σ − max σ) into y, and Σ e. Subtract max σ, not max x: σ is not monotone.");
        writer.Line($"var maxBroadcast = new Vector<{t}>(max);");
        writer.Line("var sumV = zero;");
        if (!log)
        {
            writer.Line($"var sigmaTail = {Preload(sigmaRow, type)};");
        }

        using (VectorLoop(writer, type))
        {
            writer.Line($"var e = VectorMath.Exp({Load(sigmaRow)} - maxBroadcast);");
            writer.Line("sumV += e;");
            if (!log)
            {
                writer.Line("e.StoreUnsafe(ref yRow, (nuint)i);");
            }
        }

        writer.Line();
        using (writer.Block("if (hasTail)"))
        {
            writer.Line($"var e = VectorMath.Exp({(log ? Load(sigmaRow, "tailStart") : "sigmaTail")} - maxBroadcast);");
            writer.Line("sumV += Vector.ConditionalSelect(tailLanes, e, zero);");
            if (!log)
            {
                writer.Line("e.StoreUnsafe(ref yRow, (nuint)tailStart);");
            }
        }

        writer.Line();
        writer.Line($"{t} sum = Vector.Sum(sumV);");
        using (ScalarLoop(writer))
        {
            writer.Line($"{t} e = {math}.Exp({Scalar(sigmaRow)} - max);");
            writer.Line("sum += e;");
            if (!log)
            {
                writer.Line($"{Scalar("y")} = e;");
            }
        }

        writer.Line();
        if (log)
        {
            writer.Line("// Pass 3: log y = σ − (max σ + log Σ exp(σ − max σ)); masked entries stay −∞.");
            writer.Line($"{t} offset = max + {math}.Log(sum);");
            WriteMapPass(writer, type, sigmaRow, "offsetBroadcast", $"new Vector<{t}>(offset)", "{0} - offsetBroadcast", "{0} - offset");
        }
        else
        {
            writer.Line("// Pass 3: normalise, with one division per row.");
            writer.Line($"{t} inverse = 1 / sum;");
            WriteMapPass(writer, type, "y", "inverseBroadcast", $"new Vector<{t}>(inverse)", "{0} * inverseBroadcast", "{0} * inverse");
        }
    }

    /// <summary>Pass 1: the row's maximum — of x for plain SoftMax, of σ(x), stored into y, otherwise.</summary>
    private static void WriteMaximumPass(SourceWriter writer, NormalizerSpec spec, ModulatorCode modulator)
    {
        ElementType type = spec.ElementType;
        string t = type.Keyword();
        Lanes vector = Lanes.Vector(type);
        if (modulator.IsIdentity)
        {
            writer.Line("// Pass 1: the row's maximum.");
            writer.Line("var maxV = negativeInfinity;");
            using (VectorLoop(writer, type))
            {
                writer.Line($"maxV = Vector.Max(maxV, {Load("x")});");
            }

            using (writer.Block("if (hasTail)"))
            {
                writer.Line($"maxV = Vector.Max(maxV, {Load("x", "tailStart")});");
            }

        }
        else
        {
            writer.Line("// Pass 1: σ(x) into y, and its maximum. Masked entries (x = −∞) stay −∞: σ(−∞) would be NaN or +∞.");
            writer.Line("var maxV = negativeInfinity;");
            writer.Line($"var xTail = {Preload("x", type)};");
            using (VectorLoop(writer, type))
            {
                writer.Line($"var xv = {Load("x")};");
                WriteSigmaStore(writer, spec, modulator, vector, "i");
            }

            writer.Line();
            using (writer.Block("if (hasTail)"))
            {
                writer.Line("var xv = xTail;");
                WriteSigmaStore(writer, spec, modulator, vector, "tailStart");
            }
        }

        writer.Line();
        writer.Line($"{t} max = VectorMath.MaxAcross(maxV);");

        writer.Line();
        using (ScalarLoop(writer))
        {
            if (modulator.IsIdentity)
            {
                writer.Line($"max = Math.Max(max, {Scalar("x")});");
            }
            else
            {
                WriteScalarSigmaStore(writer, spec, modulator);
            }
        }
    }

    /// <summary>The scalar form of pass 1 for one entry: σ, unless the entry is masked, into y and the maximum.</summary>
    private static void WriteScalarSigmaStore(SourceWriter writer, NormalizerSpec spec, ModulatorCode modulator)
    {
        string t = spec.ElementType.Keyword();
        writer.Line($"{t} xs = {Scalar("x")};");
        writer.Line($"{t} s = {t}.NegativeInfinity;");
        using (writer.Block($"if (xs != {t}.NegativeInfinity)"))
        {
            string u = modulator.WriteAffine(writer, Lanes.Scalar(spec.ElementType), "xs");
            modulator.WriteSigma(writer, Lanes.Scalar(spec.ElementType), u, "sigma");
            WritePoisonNonFinite(writer, spec, "sigma", "xs");
            writer.Line("s = sigma;");
        }

        writer.Line();
        writer.Line("max = Math.Max(max, s);");
        writer.Line($"{Scalar("y")} = s;");
    }

    /// <summary>σ of the vector <c>xv</c>, stored into y at <paramref name="offset"/>, and folded into <c>maxV</c>.</summary>
    private static void WriteSigmaStore(SourceWriter writer, NormalizerSpec spec, ModulatorCode modulator, Lanes vector, string offset)
    {
        // σ runs on every lane and masked lanes are overwritten after: cheaper than keeping −∞ out of σ.
        string u = modulator.WriteAffine(writer, vector, "xv");
        modulator.WriteSigma(writer, vector, u, "s");
        WritePoisonNonFinite(writer, spec, "s", "xv");
        writer.Line("s = Vector.ConditionalSelect(Vector.Equals(xv, negativeInfinity), negativeInfinity, s);");
        writer.Line("maxV = Vector.Max(maxV, s); // NaN-propagating: a NaN anywhere makes the row NaN");
        writer.Line($"s.StoreUnsafe(ref yRow, (nuint){offset});");
    }

    /// <summary>Pass 3: y = f(source) element-wise, where f is given as a vector and a scalar format.</summary>
    private static void WriteMapPass(
        SourceWriter writer, ElementType type, string sourceRow, string broadcast, string broadcastValue, string vectorFormat, string scalarFormat)
    {
        writer.Line($"var {broadcast} = {broadcastValue};");
        writer.Line($"var sourceTail = {Preload(sourceRow, type)};");
        using (VectorLoop(writer, type))
        {
            writer.Line($"({string.Format(vectorFormat, Load(sourceRow))}).StoreUnsafe(ref yRow, (nuint)i);");
        }

        using (writer.Block("if (hasTail)"))
        {
            writer.Line($"({string.Format(vectorFormat, "sourceTail")}).StoreUnsafe(ref yRow, (nuint)tailStart);");
        }


        using (ScalarLoop(writer))
        {
            writer.Line($"{Scalar("y")} = {string.Format(scalarFormat, Scalar(sourceRow))};");
        }
    }

    /// <summary>
    /// A negative scale maps x = +∞ to x' = −∞, where σ may be a harmless −∞; adding x − x (0 for finite x, NaN
    /// otherwise) keeps every NaN or +∞ input poisoning its row, as it does without the affine map.
    /// </summary>
    private static void WritePoisonNonFinite(SourceWriter writer, NormalizerSpec spec, string sigma, string input)
    {
        if (spec.IsAffine)
        {
            writer.Line($"{sigma} += {input} - {input}; // NaN for a non-finite input, whatever the sign of scale");
        }
    }
}
