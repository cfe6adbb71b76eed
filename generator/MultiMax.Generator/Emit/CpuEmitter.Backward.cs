using System.Collections.Generic;
using System.Linq;
using MultiMax.Generator.Model;
using MultiMax.Generator.Modulator;

namespace MultiMax.Generator.Emit;

internal static partial class CpuEmitter
{
    /// <summary>
    /// Backward, per row: (1) the Jacobian's shared term — Σ g·y for SoftMax, Σ g for LogSoftMax — and (2) in one
    /// fused pass gσ, dx = σ'(x')·gσ and every parameter's gσ·∂σ/∂θ. Per-row sums go to double block totals.
    /// </summary>
    private static void WriteBackward(CpuKernelScope kernel, NormalizerSpec spec)
    {
        SourceWriter writer = kernel.Writer;
        ModulatorMath math = kernel.Math;
        string t = kernel.T;
        bool log = spec.Output == NormalizerOutputKind.LogProbabilities;
        IReadOnlyList<ParameterGradient> gradients = math.Gradients;
        // Every backward reads x to find the masked entries: their g may be anything (∞ from a log of their y = 0, say)
        // and must reach nothing — not the shared sum, not their own dx.
        Local x = new("x"), y = new("y"), dy = new("dy"), dx = new("dx"), rowLength = new("rowLength"), parameterGradients = new("parameterGradients");

        writer.Line(AggressiveOptimization);
        using var method = writer.Block(
            $"private static void Backward{kernel.Width.Name}(ReadOnlySpan<{t}> {x}, ReadOnlySpan<{t}> {y}, ReadOnlySpan<{t}> {dy}, Span<{t}> {dx}, int {rowLength}, ReadOnlySpan<{t}> {kernel.Parameters}, Span<double> {parameterGradients})");
        kernel.WriteParameterLocals(backward: true);
        kernel.DeclareZero();

        kernel.DeclareNegativeInfinity();
        kernel.DeclarePoisonFlag();

        // Each gradient is summed in double over the block: a chunk's (or the tail's) lanes, then the scalar entries.
        Local Total(ParameterGradient g) => new(g.AccumulatorStem);
        Local Lanes(ParameterGradient g) => new(g.AccumulatorStem + "V");
        (Local, Local)[] gradientSums = gradients.Select(g => (Lanes(g), Total(g))).ToArray();
        if (gradients.Count > 0)
        {
            writer.Line("// This block's parameter gradients, summed in double over its rows.");
            writer.Line("double " + string.Join(", ", gradients.Select(g => Total(g) + " = 0")) + ";");
        }

        kernel.WriteRowGeometry(rowLength);
        using (kernel.RowLoop(x, rowLength, x, y, dy, dx))
        {
            Local shared = WriteSharedTerm(kernel, x, y, dy, rowLength, log);
            writer.Line();
            string softMaxGradient = log ? "gσ = g − exp(y)·Σ g" : "gσ = y·(g − Σ g·y)";
            writer.Line(math.IsIdentity
                ? $"// Pass 2: dx = {softMaxGradient}; masked entries get 0."
                : $"// Pass 2: {softMaxGradient}; dx = σ'(x')·gσ; and gσ·∂σ/∂θ for every parameter. Masked entries get 0.");
            Local sharedBroadcast = new("sharedBroadcast");
            writer.Line($"var {sharedBroadcast} = {kernel.Width.Broadcast(t, shared.Name)};");

            var gv = new Local("gv");
            var yv = new Local("yv");
            var xv = new Local("xv");
            Local dyTail = new("dyTail"), yTail = new("yTail"), xTail = new("xTail");
            writer.Line($"var {dyTail} = {kernel.Preload(dy)};");
            writer.Line($"var {yTail} = {kernel.Preload(y)};");
            writer.Line($"var {xTail} = {kernel.Preload(x)};");

            kernel.WriteChunkedVectorLoop(
                gradientSums,
                body: () =>
                {
                    writer.Line($"var {gv} = {kernel.Load(dy)};");
                    writer.Line($"var {yv} = {kernel.Load(y)};");
                    writer.Line($"var {xv} = {kernel.Load(x)};");
                    string dxv = WriteGradientVector(kernel, gv, yv, xv, sharedBroadcast, log, Lanes, tail: false);
                    writer.Line(kernel.Store(dxv, dx));
                },
                tail: () =>
                {
                    writer.Line($"var {gv} = {dyTail};");
                    writer.Line($"var {yv} = {yTail};");
                    writer.Line($"var {xv} = {xTail};");
                    string dxv = WriteGradientVector(kernel, gv, yv, xv, sharedBroadcast, log, Lanes, tail: gradients.Count > 0);
                    writer.Line(kernel.Store(dxv, dx, kernel.TailStart));
                });

            writer.Line();
            kernel.WriteScalarLoop(rowLength, () =>
            {
                string gsValue = log
                    ? $"{kernel.Element(dy)} - {kernel.Type.MathClass()}.Exp({kernel.Element(y)}) * {shared}"
                    : $"{kernel.Element(y)} * ({kernel.Element(dy)} - {shared})";
                Local gs = new("gs"), masked = new("masked");
                writer.Line($"bool {masked} = {kernel.Element(x)} == {t}.NegativeInfinity;");
                writer.Line($"{t} {gs} = {masked} ? 0 : {gsValue};");

                // With σ the identity dx is gσ (0 where masked).
                string dxs = gs.Name;
                if (!math.IsIdentity)
                {
                    // Masked entries evaluate σ' at 0 instead of −∞ (finite, and multiplied by gσ = 0); their dx is 0.
                    var xz = new Local("xz");
                    writer.Line($"var {xz} = {masked} ? 0 : {kernel.Element(x)};");
                    dxs = $"{masked} ? 0 : {kernel.Scalars.WriteInputGradient(writer, xz, gs, gs, Total, "dxv")}";
                }

                writer.Line($"{kernel.Element(dx)} = {dxs};");
            });
        }

        if (gradients.Count > 0)
        {
            writer.Line();
            if (kernel.Poisoned is { } poisoned)
            {
                writer.Line($"// A NaN parameter σ reads makes every gradient NaN, as autograd of the formula does, even where no row was live.");
                using (writer.Block($"if ({poisoned})"))
                {
                    writer.Line(string.Join(" = ", gradients.Select(g => Total(g).Name)) + " = double.NaN;");
                }

                writer.Line();
            }

            writer.Line("// Add this block's sums.");
            foreach (ParameterGradient gradient in gradients)
            {
                writer.Line($"{parameterGradients}[{gradient.ParameterIndex}] += {Total(gradient)};");
            }
        }
    }

    /// <summary>
    /// gσ and dx of one vector of the row (<paramref name="gv"/>, <paramref name="yv"/>, <paramref name="xv"/>); masked
    /// lanes get gσ = 0 and dx = 0. For the tail vector only its new lanes enter the parameter sums. Returns the dx to
    /// store.
    /// </summary>
    private static string WriteGradientVector(
        CpuKernelScope kernel, Local gv, Local yv, Local xv, Local shared, bool log,
        System.Func<ParameterGradient, Local> laneSum, bool tail)
    {
        SourceWriter writer = kernel.Writer;
        Local gs = new("gs"), masked = new("masked");
        string gsValue = log ? $"{gv} - VectorMath.Exp({yv}) * {shared}" : $"{yv} * ({gv} - {shared})";
        writer.Line($"var {masked} = {kernel.Api}.Equals({xv}, {kernel.NegativeInfinity});");
        writer.Line($"var {gs} = {kernel.Api}.ConditionalSelect({masked}, {kernel.Zero}, {gsValue});");

        Local gsForSums = gs;
        if (tail)
        {
            gsForSums = new Local("gsNew");
            writer.Line($"var {gsForSums} = {kernel.Api}.ConditionalSelect({kernel.TailLanes}, {gs}, {kernel.Zero}); // lanes no whole vector summed");
        }

        if (kernel.Math.IsIdentity)
        {
            return gs.Name;
        }

        // Masked lanes evaluate σ' at 0 instead of −∞ (finite, and multiplied by gσ = 0), and their dx is set to 0
        // after: a NaN parameter would make σ' NaN there too.
        var xz = new Local("xz");
        writer.Line($"var {xz} = {kernel.Api}.ConditionalSelect({masked}, {kernel.Zero}, {xv});");
        Local dx = kernel.Lanes.WriteInputGradient(writer, xz, gs, gsForSums, laneSum, "dxv");
        return $"{kernel.Api}.ConditionalSelect({masked}, {kernel.Zero}, {dx})";
    }

    /// <summary>
    /// Pass 1 of the backward: the sum every entry's gradient shares, in double. It only reads, so the tail needs no
    /// preload. A poisoned row (a NaN parameter) shares NaN, so that its unmasked entries get NaN gradients.
    /// </summary>
    private static Local WriteSharedTerm(CpuKernelScope kernel, Local x, Local y, Local dy, Local rowLength, bool log)
    {
        SourceWriter writer = kernel.Writer;
        string t = kernel.T;
        writer.Line(log
            ? "// Pass 1: Σ g over the unmasked entries (a masked output is the constant −∞: its g reaches nothing)."
            : "// Pass 1: Σ g·y over the unmasked entries, the term the SoftMax Jacobian shares across the row.");
        string Term(Local? at) =>
            $"{kernel.Api}.ConditionalSelect({kernel.Api}.Equals({kernel.Load(x, at)}, {kernel.NegativeInfinity}), {kernel.Zero}, {(log ? kernel.Load(dy, at) : $"{kernel.Load(dy, at)} * {kernel.Load(y, at)}")})";

        Local sharedV = new("sharedV"), total = new("sharedTotal"), shared = new("shared");
        writer.Line($"double {total} = 0;");
        kernel.WriteChunkedVectorLoop(
            new[] { (sharedV, total) },
            body: () => writer.Line($"{sharedV} += {Term(null)};"),
            tail: () => writer.Line($"{sharedV} += {kernel.Api}.ConditionalSelect({kernel.TailLanes}, {Term(kernel.TailStart)}, {kernel.Zero});"));
        kernel.WriteScalarLoop(rowLength, () => writer.Line(log
            ? $"{total} += {kernel.Element(x)} == {t}.NegativeInfinity ? 0 : {kernel.Element(dy)};"
            : $"{total} += {kernel.Element(x)} == {t}.NegativeInfinity ? 0 : {kernel.Element(dy)} * {kernel.Element(y)};"));

        writer.Line(kernel.Poisoned is { } poisoned
            ? $"{t} {shared} = {poisoned} ? {t}.NaN : ({t}){total};"
            : $"{t} {shared} = ({t}){total};");
        return shared;
    }
}
