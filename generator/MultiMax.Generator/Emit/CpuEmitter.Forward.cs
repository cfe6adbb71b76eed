using System;
using MultiMax.Generator.Model;
using MultiMax.Generator.Modulator;

namespace MultiMax.Generator.Emit;

internal static partial class CpuEmitter
{
    /// <summary>
    /// Forward, per row: (1) σ into y and its maximum, (2) exp(σ − max σ) and its sum, (3) normalise.
    /// The row stays in cache between passes, so memory sees one read of x and one write of y.
    /// </summary>
    private static void WriteForward(CpuKernelScope kernel, NormalizerSpec spec)
    {
        SourceWriter writer = kernel.Writer;
        string t = kernel.T, math = kernel.Type.MathClass();
        bool log = spec.Output == NormalizerOutputKind.LogProbabilities;
        Local x = new("x"), y = new("y"), rowLength = new("rowLength");

        writer.Line(AggressiveOptimization);
        using var method = writer.Block($"private static void Forward{kernel.Width.Name}(ReadOnlySpan<{t}> {x}, Span<{t}> {y}, int {rowLength}, ReadOnlySpan<{t}> {kernel.Parameters})");
        kernel.WriteParameterLocals(backward: false);
        kernel.DeclareZero();
        kernel.DeclareNegativeInfinity();
        kernel.DeclarePoisonFlag();
        kernel.WriteRowGeometry(rowLength);
        using var rows = kernel.RowLoop(x, rowLength, x, y);

        // With σ the identity, pass 1 only needs the maximum and pass 2 reads x; otherwise σ is stored in y.
        Local sigmaRow = kernel.Math.IsIdentity ? x : y;
        Local max = WriteMaximumPass(kernel, x, y, rowLength);
        if (kernel.Poisoned is { } poisoned)
        {
            writer.Line($"if ({poisoned} && {max} != {t}.NegativeInfinity) {max} = {t}.NaN;");
        }

        writer.Line();
        using (writer.Block($"if ({max} == {t}.NegativeInfinity)"))
        {
            WriteRowWithoutMass(kernel, sigmaRow, y, rowLength, log);
            writer.Line("continue;");
        }

        writer.Line();
        writer.Line(log
            ? "// Pass 2: Σ exp(σ − max σ), in double. Subtract max σ, not max x: σ is not monotone."
            : "// Pass 2: e = exp(σ − max σ) into y, and Σ e in double. Subtract max σ, not max x: σ is not monotone.");
        Local maxBroadcast = new("maxBroadcast"), sumV = new("sumV"), sum = new("sum"), sigmaTail = new("sigmaTail"), e = new("e");
        writer.Line($"var {maxBroadcast} = {kernel.Width.Broadcast(t, max.Name)};");
        writer.Line($"double {sum} = 0;");
        if (!log)
        {
            writer.Line($"var {sigmaTail} = {kernel.Preload(sigmaRow)};");
        }

        // σ − max σ is at most 0 (or NaN, or −∞ where masked): the exponential needs no upper clamp.
        kernel.WriteChunkedVectorLoop(
            new[] { (sumV, sum) },
            body: () =>
            {
                writer.Line($"var {e} = VectorMath.ExpNonPositive({kernel.Load(sigmaRow)} - {maxBroadcast});");
                writer.Line($"{sumV} += {e};");
                if (!log)
                {
                    writer.Line(kernel.Store(e.Name, y));
                }
            },
            tail: () =>
            {
                writer.Line($"var {e} = VectorMath.ExpNonPositive({(log ? kernel.Load(sigmaRow, kernel.TailStart) : sigmaTail.Name)} - {maxBroadcast});");
                writer.Line($"{sumV} += {kernel.Api}.ConditionalSelect({kernel.TailLanes}, {e}, {kernel.Zero});");
                if (!log)
                {
                    writer.Line(kernel.Store(e.Name, y, kernel.TailStart));
                }
            });

        kernel.WriteScalarLoop(rowLength, () =>
        {
            writer.Line($"{t} {e} = {math}.Exp({kernel.Element(sigmaRow)} - {max});");
            writer.Line($"{sum} += {e};");
            if (!log)
            {
                writer.Line($"{kernel.Element(y)} = {e};");
            }
        });

        writer.Line();
        if (log)
        {
            writer.Line("// Pass 3: log y = (σ − max σ) − log Σ, in that order: max σ + log Σ would round log Σ away when |max σ| is large.");
            Local logSum = new("logSum"), logSumBroadcast = new("logSumBroadcast");
            writer.Line($"{t} {logSum} = ({t})Math.Log({sum});");
            writer.Line($"var {logSumBroadcast} = {kernel.Width.Broadcast(t, logSum.Name)};");
            WriteMapPass(kernel, sigmaRow, y, rowLength,
                lanes => $"{lanes} - {maxBroadcast} - {logSumBroadcast}",
                entry => $"{entry} - {max} - {logSum}");
        }
        else
        {
            writer.Line("// Pass 3: normalise, with one division per row.");
            Local inverse = new("inverse"), inverseBroadcast = new("inverseBroadcast");
            writer.Line($"{t} {inverse} = ({t})(1 / {sum});");
            writer.Line($"var {inverseBroadcast} = {kernel.Width.Broadcast(t, inverse.Name)};");
            WriteMapPass(kernel, y, y, rowLength, lanes => $"{lanes} * {inverseBroadcast}", entry => $"{entry} * {inverse}");
        }
    }

    /// <summary>
    /// A row whose maximum is −∞: either every σ in it is −∞ (every entry masked), or it holds a NaN that the native
    /// maximum passed over. A NaN makes the row NaN; otherwise the row has no mass to distribute: all zeros (log: all
    /// −∞), not NaN.
    /// </summary>
    private static void WriteRowWithoutMass(CpuKernelScope kernel, Local sigmaRow, Local y, Local rowLength, bool log)
    {
        SourceWriter writer = kernel.Writer;
        string t = kernel.T;
        Local hasNaN = new("hasNaN"), v = new("v"), fill = new("fill"), fillV = new("fillV");
        writer.Line("// Every entry is masked, or the row holds a NaN that MaxNative passed over: a NaN makes the row NaN, and a row");
        writer.Line(log
            ? "// with every entry masked has no mass to distribute: every log-probability is −∞ (log 0), not NaN."
            : "// with every entry masked has no mass to distribute: it is all zeros, not NaN.");
        writer.Line($"bool {hasNaN} = false;");
        using (kernel.VectorLoop())
        {
            writer.Line($"var {v} = {kernel.Load(sigmaRow)};");
            writer.Line($"{hasNaN} |= !{kernel.Api}.EqualsAll({v}, {v});");
        }

        using (writer.Block($"if ({kernel.HasTail})"))
        {
            writer.Line($"var {v} = {kernel.Load(sigmaRow, kernel.TailStart)};");
            writer.Line($"{hasNaN} |= !{kernel.Api}.EqualsAll({v}, {v});");
        }

        kernel.WriteScalarLoop(rowLength, () => writer.Line($"{hasNaN} |= {t}.IsNaN({kernel.Element(sigmaRow)});"));
        writer.Line($"{t} {fill} = {hasNaN} ? {t}.NaN : {(log ? t + ".NegativeInfinity" : "0")};");
        writer.Line($"var {fillV} = {kernel.Width.Broadcast(t, fill.Name)};");
        using (kernel.VectorLoop())
        {
            writer.Line(kernel.Store(fillV.Name, y));
        }

        using (writer.Block($"if ({kernel.HasTail})"))
        {
            writer.Line(kernel.Store(fillV.Name, y, kernel.TailStart));
        }

        kernel.WriteScalarLoop(rowLength, () => writer.Line($"{kernel.Element(y)} = {fill};"));
    }

    /// <summary>Pass 1: the row's maximum — of x for plain SoftMax, of σ(x), stored into y, otherwise.</summary>
    private static Local WriteMaximumPass(CpuKernelScope kernel, Local x, Local y, Local rowLength)
    {
        SourceWriter writer = kernel.Writer;
        Local maxV = new("maxV"), max = new("max");
        if (kernel.Math.IsIdentity)
        {
            writer.Line("// Pass 1: the row's maximum.");
            writer.Line($"var {maxV} = {kernel.NegativeInfinity};");
            using (kernel.VectorLoop())
            {
                writer.Line($"{maxV} = {kernel.Api}.MaxNative({maxV}, {kernel.Load(x)});");
            }

            using (writer.Block($"if ({kernel.HasTail})"))
            {
                writer.Line($"{maxV} = {kernel.Api}.MaxNative({maxV}, {kernel.Load(x, kernel.TailStart)});");
            }
        }
        else
        {
            writer.Line("// Pass 1: σ(x) into y, and its maximum. Masked entries (x = −∞) stay −∞: σ(−∞) would be NaN or +∞.");
            writer.Line($"var {maxV} = {kernel.NegativeInfinity};");
            Local xTail = new("xTail"), xv = new("xv");
            writer.Line($"var {xTail} = {kernel.Preload(x)};");
            using (kernel.VectorLoop())
            {
                writer.Line($"var {xv} = {kernel.Load(x)};");
                WriteSigmaStore(kernel, xv, maxV, y, kernel.Index);
            }

            writer.Line();
            using (writer.Block($"if ({kernel.HasTail})"))
            {
                writer.Line($"var {xv} = {xTail};");
                WriteSigmaStore(kernel, xv, maxV, y, kernel.TailStart);
            }
        }

        writer.Line();
        writer.Line($"{kernel.T} {max} = VectorMath.MaxAcrossNative({maxV});");

        kernel.WriteScalarLoop(rowLength, () =>
        {
            if (kernel.Math.IsIdentity)
            {
                writer.Line($"{max} = Math.Max({max}, {kernel.Element(x)});");
            }
            else
            {
                WriteScalarSigmaStore(kernel, x, y, max);
            }
        });

        return max;
    }

    /// <summary>σ of the vector <paramref name="xv"/>, stored into y at <paramref name="offset"/>, and folded into the maximum.</summary>
    private static void WriteSigmaStore(CpuKernelScope kernel, Local xv, Local maxV, Local y, Local offset)
    {
        SourceWriter writer = kernel.Writer;
        ModulatorPrinter lanes = kernel.Lanes;

        // σ runs on every lane and masked lanes are overwritten after: cheaper than keeping −∞ out of σ.
        Local s = lanes.WriteSigma(writer, xv, "s");
        WritePoisonNonFinite(kernel, s, xv);
        writer.Line($"{s} = {kernel.Api}.ConditionalSelect({kernel.Api}.Equals({xv}, {kernel.NegativeInfinity}), {kernel.NegativeInfinity}, {s});");
        writer.Line($"{maxV} = {kernel.Api}.MaxNative({maxV}, {s});");
        writer.Line(kernel.Store(s.Name, y, offset));
    }

    /// <summary>The scalar form of pass 1 for one entry: σ, unless the entry is masked, into y and the maximum.</summary>
    private static void WriteScalarSigmaStore(CpuKernelScope kernel, Local x, Local y, Local max)
    {
        SourceWriter writer = kernel.Writer;
        string t = kernel.T;
        Local xs = new("xs"), s = new("s");
        writer.Line($"{t} {xs} = {kernel.Element(x)};");
        writer.Line($"{t} {s} = {t}.NegativeInfinity;");
        using (writer.Block($"if ({xs} != {t}.NegativeInfinity)"))
        {
            ModulatorPrinter scalars = kernel.Scalars;
            Local sigma = scalars.WriteSigma(writer, xs, "sigma");
            WritePoisonNonFinite(kernel, sigma, xs);
            writer.Line($"{s} = {sigma};");
        }

        writer.Line();
        writer.Line($"{max} = Math.Max({max}, {s});");
        writer.Line($"{kernel.Element(y)} = {s};");
    }

    /// <summary>Pass 3: <c>y = map(source)</c> element-wise, given as a lane form and a scalar form of the same operations.</summary>
    private static void WriteMapPass(CpuKernelScope kernel, Local source, Local y, Local rowLength, Func<string, string> lanes, Func<string, string> entry)
    {
        SourceWriter writer = kernel.Writer;
        Local sourceTail = new("sourceTail");
        writer.Line($"var {sourceTail} = {kernel.Preload(source)};");
        using (kernel.VectorLoop())
        {
            writer.Line(kernel.Store($"({lanes(kernel.Load(source))})", y));
        }

        using (writer.Block($"if ({kernel.HasTail})"))
        {
            writer.Line(kernel.Store($"({lanes(sourceTail.Name)})", y, kernel.TailStart));
        }

        kernel.WriteScalarLoop(rowLength, () => writer.Line($"{kernel.Element(y)} = {entry(kernel.Element(source))};"));
    }

    /// <summary>
    /// A negative scale maps x = +∞ to x' = −∞, where σ may be a harmless −∞, and σ written as C# may map +∞ to a
    /// finite value (cap·tanh(x/cap)); adding x − x (0 for finite x, NaN otherwise) keeps every NaN or +∞ input
    /// poisoning its row, as it does with terms alone.
    /// </summary>
    private static void WritePoisonNonFinite(CpuKernelScope kernel, Local sigma, Local input)
    {
        if (kernel.Math.MayHideNonFinite)
        {
            kernel.Writer.Line(kernel.Math.IsAffine
                ? $"{sigma} += {input} - {input}; // NaN for a non-finite input, whatever the sign of scale"
                : $"{sigma} += {input} - {input}; // NaN for a non-finite input, even where σ is finite there");
        }
    }
}
