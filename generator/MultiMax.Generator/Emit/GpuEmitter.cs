using System.Collections.Generic;
using System.Linq;
using MultiMax.Generator.Model;
using MultiMax.Generator.Modulator;
using MultiMax.Generator.Modulator.Dialects;

namespace MultiMax.Generator.Emit;

/// <summary>
/// Emits the ILGPU face of one normalizer: the nested static class <c>&lt;Name&gt;Gpu</c> with host-side
/// <c>Forward</c>/<c>Backward</c> for each declared element type and their kernels. One group of threads per row: the
/// row's max of σ, Σ exp, and the backward's Σ g·y are group-wide reductions; σ is recomputed in each pass rather
/// than stored; constants are folded in. A pure function of the model.
/// </summary>
internal static partial class GpuEmitter
{
    private const string Runner = "global::MultiMax.Gpu.CompilerServices.GpuNormalizerRunner";
    private const string Reduce = "global::MultiMax.Gpu.CompilerServices.GroupReduce";

    public static string Emit(OverloadGroup group)
    {
        NormalizerSpec spec = group.Modulator;
        var writer = new SourceWriter();
        var math = new ModulatorMath(spec);
        FileHeader.Write(writer, spec, math, $"ILGPU kernels for {DeclarationCode.Describe(spec)}", "each row",
            "One group per row; σ is recomputed in each pass instead of stored.");

        using (DeclarationCode.OpenContainers(writer, spec))
        {
            writer.Line($"/// <summary><see cref=\"{DeclarationCode.ForwardCref(spec)}\"/> as ILGPU kernels, on any accelerator; each kernel is compiled once per accelerator.</summary>");
            writer.Line(DeclarationCode.GeneratedCodeAttribute);
            using (writer.Block($"{DeclarationCode.AccessibilityPrefix(spec)}static class {Identifiers.Escape(spec.MethodName + "Gpu")}"))
            {
                writer.Line("/// <summary>The length of the parameters view.</summary>");
                writer.Line($"public const int ParameterCount = {spec.ParameterCount};");
                foreach (ElementType type in group.ElementTypes)
                {
                    writer.Line();
                    WriteForwardHost(writer, spec, type);
                    writer.Line();
                    WriteBackwardHost(writer, spec, type);
                    writer.Line();
                    WriteAttentionHosts(writer, spec, type);
                    writer.Line();
                    WriteCrossEntropyHosts(writer, spec, type);
                }

                foreach (ElementType type in group.ElementTypes)
                {
                    var printer = new ModulatorPrinter(new ModulatorMath(spec with { ElementType = type }), new GpuDialect(type));
                    writer.Line();
                    WriteSigma(writer, printer);
                    writer.Line();
                    WriteForwardKernel(writer, spec, printer);
                    writer.Line();
                    WriteBackwardKernel(writer, spec, printer);
                    writer.Line();
                    WriteAttentionKernels(writer, spec, printer);
                    writer.Line();
                    WriteCrossEntropyKernels(writer, spec, printer);
                }
            }
        }

        return writer.ToString();
    }

    private static string View(ElementType type) => $"global::ILGPU.ArrayView<{type.Keyword()}>";

    private static string Suffix(ElementType type) => type == ElementType.Float ? "Float" : "Double";

    private static void WriteForwardHost(SourceWriter writer, NormalizerSpec spec, ElementType type)
    {
        string view = View(type), kernel = "Forward" + Suffix(type) + "Kernel";
        string parameters = spec.HasParameters ? $", {view} parameters" : "";
        string parameterArgument = spec.HasParameters ? ", parameters" : "";
        string viewTypes = spec.HasParameters ? $"{view}, {view}, int, {view}" : $"{view}, {view}, int";
        writer.Line("/// <summary>Normalizes every row of <paramref name=\"x\"/> into <paramref name=\"y\"/>, asynchronously on <paramref name=\"stream\"/>.</summary>");
        writer.Line("/// <param name=\"stream\">The stream to launch on; its accelerator holds the views.</param>");
        writer.Line("/// <param name=\"x\">The scores, row after row; −∞ masks an entry.</param>");
        writer.Line("/// <param name=\"y\">Receives the output; may be <paramref name=\"x\"/>.</param>");
        writer.Line("/// <param name=\"rowLength\">The number of entries in each row.</param>");
        if (spec.HasParameters)
        {
            writer.Line($"/// <param name=\"parameters\">The {spec.ParameterCount} learnable parameters, in the span operator's layout.</param>");
        }

        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A view length or the row length is inconsistent, or an output overlaps an input; nothing is launched then.</exception>");
        using (writer.Block($"public static void Forward(global::ILGPU.Runtime.AcceleratorStream stream, {view} x, {view} y, int rowLength{parameters})"))
        {
            writer.Line("global::System.ArgumentNullException.ThrowIfNull(stream);");
            writer.Line($"int rows = {Runner}.CheckForward(x.Length, y.Length, rowLength, {(spec.HasParameters ? "parameters.Length" : "0")}, ParameterCount);");
            writer.Line($"{Runner}.CheckForwardOverlaps(x, y, {(spec.HasParameters ? "parameters" : "default")});");
            writer.Line("if (rows == 0) return;");
            writer.Line($"var launch = {Runner}.Load(stream.Accelerator, {kernel}, static accelerator => global::ILGPU.Runtime.KernelLoaders.LoadKernel<{viewTypes}>(accelerator, {kernel}));");
            writer.Line($"launch(stream, {Runner}.Rows(stream.Accelerator, rows, rowLength), x, y, rowLength{parameterArgument});");
        }
    }

    private static void WriteBackwardHost(SourceWriter writer, NormalizerSpec spec, ElementType type)
    {
        string view = View(type), t = type.Keyword(), kernel = "Backward" + Suffix(type) + "Kernel";
        string parameters = spec.HasParameters ? $", {view} parameters, {view} parameterGradients" : "";
        writer.Line("/// <summary>The backward pass: writes <paramref name=\"dx\"/>" + (spec.HasParameters ? " and overwrites <paramref name=\"parameterGradients\"/> with the sums over all rows (this waits for the stream)" : "") + ".</summary>");
        writer.Line("/// <param name=\"stream\">The stream to launch on; its accelerator holds the views.</param>");
        DeclarationCode.WriteBackwardParameterDocs(writer, spec);

        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A view length or the row length is inconsistent, or an output overlaps an input; nothing is launched then.</exception>");
        using (writer.Block($"public static void Backward(global::ILGPU.Runtime.AcceleratorStream stream, {view} x, {view} y, {view} dy, {view} dx, int rowLength{parameters})"))
        {
            writer.Line("global::System.ArgumentNullException.ThrowIfNull(stream);");
            string lengths = spec.HasParameters ? "parameters.Length, parameterGradients.Length" : "0, 0";
            writer.Line($"int rows = {Runner}.CheckBackward(x.Length, y.Length, dy.Length, dx.Length, rowLength, {lengths}, ParameterCount);");
            writer.Line($"{Runner}.CheckBackwardOverlaps(x, y, dy, dx, {(spec.HasParameters ? "parameters, parameterGradients" : "default, default")});");
            if (!spec.HasParameters)
            {
                writer.Line("if (rows == 0) return;");
                writer.Line($"var launch = {Runner}.Load(stream.Accelerator, {kernel}, static accelerator => global::ILGPU.Runtime.KernelLoaders.LoadKernel<{view}, {view}, {view}, {view}, int>(accelerator, {kernel}));");
                writer.Line($"launch(stream, {Runner}.Rows(stream.Accelerator, rows, rowLength), x, y, dy, dx, rowLength);");
                return;
            }

            using (writer.Block("if (rows == 0)"))
            {
                writer.Line("global::ILGPU.Runtime.ArrayViewExtensions.MemSetToZero(parameterGradients, stream);");
                writer.Line("return;");
            }

            writer.Line();
            writer.Line("// Each row's group writes its parameter gradients to its own slot; one small kernel then sums the rows.");
            writer.Line($"using var partials = stream.Accelerator.Allocate1D<{t}>((long)rows * ParameterCount);");
            writer.Line($"var launch = {Runner}.Load(stream.Accelerator, {kernel}, static accelerator => global::ILGPU.Runtime.KernelLoaders.LoadKernel<{view}, {view}, {view}, {view}, int, {view}, {view}>(accelerator, {kernel}));");
            writer.Line($"launch(stream, {Runner}.Rows(stream.Accelerator, rows, rowLength), x, y, dy, dx, rowLength, parameters, partials.View);");
            writer.Line($"{Runner}.SumRows(stream, partials.View, parameterGradients, rows);");
            writer.Line("// The partial sums are freed when this method returns: wait for the kernels that use them.");
            writer.Line("stream.Synchronize();");
        }
    }

    /// <summary>σ of one unmasked entry, constants folded; the learnable values it reads are passed in registers.</summary>
    private static void WriteSigma(SourceWriter writer, ModulatorPrinter printer)
    {
        ElementType type = printer.Math.Type;
        string t = type.Keyword();
        var x = new Local("x");
        string parameters = string.Concat(printer.Math.SigmaSymbols.Select(symbol => $", {t} {symbol.Name}"));
        using (writer.Block($"private static {t} Sigma{Suffix(type)}({t} {x}{parameters})"))
        {
            Local sigma = printer.Math.IsIdentity ? x : printer.WriteSigma(writer, x, "sigma");
            writer.Line($"return {sigma};");
        }
    }

    /// <summary>A call of <see cref="WriteSigma"/>'s helper on <paramref name="entry"/>, with the kernel's registers.</summary>
    private static string Sigma(ModulatorPrinter printer, Local entry) =>
        $"Sigma{Suffix(printer.Math.Type)}({entry}{string.Concat(printer.Math.SigmaSymbols.Select(symbol => $", {symbol.Name}"))})";

    private static void WriteForwardKernel(SourceWriter writer, NormalizerSpec spec, ModulatorPrinter printer)
    {
        ElementType type = printer.Math.Type;
        string t = type.Keyword(), suffix = Suffix(type), view = View(type);
        string parameters = spec.HasParameters ? $", {view} parameters" : "";
        var v = new Local("v");
        string sigma = Sigma(printer, v);
        bool logarithm = spec.Output == NormalizerOutputKind.LogProbabilities;
        using (writer.Block($"private static void Forward{suffix}Kernel({view} x, {view} y, int rowLength{parameters})"))
        {
            writer.Line("long start = (long)global::ILGPU.Grid.IdxX * rowLength;");
            WriteParameterLocals(writer, printer, printer.Math.SigmaSymbols);
            Local? poisoned = WritePoisonFlag(writer, printer);
            writer.Line();
            writer.Line(printer.Math.IsIdentity
                ? "// Pass 1: max σ over the unmasked entries. NaN or +∞ in x, or a NaN σ,"
                : "// Pass 1: max σ over the unmasked entries (not max x: σ need not be monotone). NaN or +∞ in x, or a NaN σ,");
            writer.Line("// poisons the row: its lane's max becomes +∞, so the group's max says it without a second reduction.");
            writer.Line($"{t} max = {t}.NegativeInfinity;");
            using (RowLoop(writer))
            {
                writer.Line($"{t} {v} = x[start + i];");
                writer.Line($"if ({t}.IsNaN({v}) || {t}.IsPositiveInfinity({v})) max = {t}.PositiveInfinity;");
                using (writer.Block($"else if ({v} != {t}.NegativeInfinity)"))
                {
                    writer.Line($"{t} s = {sigma};");
                    string poison = poisoned is null ? "" : $"{poisoned} || ";
                    writer.Line($"max = {poison}{t}.IsNaN(s) ? {t}.PositiveInfinity : global::ILGPU.Algorithms.XMath.Max(max, s);");
                }
            }

            writer.Line($"max = {Reduce}.Max(max);");
            writer.Line("// −∞: every entry is masked; +∞: poisoned. Either way the output is fixed and no exponential is needed.");
            writer.Line($"bool live = {t}.IsFinite(max);");
            writer.Line();
            writer.Line("// Pass 2: Σ exp(σ − max σ), re-reading x and recomputing σ rather than storing it.");
            writer.Line($"{t} sum = 0;");
            using (RowLoop(writer))
            {
                writer.Line($"{t} {v} = x[start + i];");
                writer.Line($"if (live && {v} != {t}.NegativeInfinity) sum += global::ILGPU.Algorithms.XMath.Exp({sigma} - max);");
            }

            writer.Line($"sum = {Reduce}.Sum(sum);");
            writer.Line();
            writer.Line(logarithm
                ? "// Pass 3: log-probabilities σ − max − log Σ; masked entries and fully masked rows are −∞ (log 0). x[i] is read before y[i] is written (in place is fine)."
                : "// Pass 3: probabilities; masked entries and fully masked rows are 0. x[i] is read before y[i] is written (in place is fine).");
            writer.Line(logarithm ? $"{t} logSum = live ? global::ILGPU.Algorithms.XMath.Log(sum) : 0;" : $"{t} inverse = 1 / sum;");
            writer.Line($"{t} dead = max == {t}.NegativeInfinity ? {(logarithm ? $"{t}.NegativeInfinity" : "0")} : {t}.NaN;");
            using (RowLoop(writer))
            {
                writer.Line($"{t} {v} = x[start + i];");
                string masked = logarithm ? $"{t}.NegativeInfinity" : "0";
                string value = logarithm ? $"{sigma} - max - logSum" : $"global::ILGPU.Algorithms.XMath.Exp({sigma} - max) * inverse";
                writer.Line($"y[start + i] = !live ? dead : {v} == {t}.NegativeInfinity ? {masked} : {value};");
            }
        }
    }

    private static void WriteBackwardKernel(SourceWriter writer, NormalizerSpec spec, ModulatorPrinter printer)
    {
        ModulatorMath math = printer.Math;
        string t = math.Type.Keyword(), suffix = Suffix(math.Type), view = View(math.Type);
        bool logarithm = spec.Output == NormalizerOutputKind.LogProbabilities;
        string parameters = spec.HasParameters ? $", {view} parameters, {view} partials" : "";
        using (writer.Block($"private static void Backward{suffix}Kernel({view} x, {view} y, {view} dy, {view} dx, int rowLength{parameters})"))
        {
            writer.Line("int row = global::ILGPU.Grid.IdxX;");
            writer.Line("long start = (long)row * rowLength;");
            WriteParameterLocals(writer, printer, math.DerivativeSymbols);
            Local? poisoned = WritePoisonFlag(writer, printer);

            writer.Line();
            writer.Line(logarithm
                ? "// Pass 1: Σ g over the unmasked entries (for log-probabilities, gσ = g − exp(y)·Σ g)."
                : "// Pass 1: Σ g·y over the unmasked entries (gσ = y·(g − Σ g·y)).");
            writer.Line($"{t} dot = 0;");
            using (RowLoop(writer))
            {
                writer.Line($"if (x[start + i] != {t}.NegativeInfinity) dot += {(logarithm ? "dy[start + i]" : "dy[start + i] * y[start + i]")};");
            }

            writer.Line($"dot = {Reduce}.Sum(dot);");
            if (poisoned is not null)
            {
                writer.Line($"if ({poisoned}) dot = {t}.NaN; // every unmasked entry's gσ is NaN");
            }

            writer.Line();
            writer.Line(spec.HasParameters
                ? $"// Pass 2: {(spec.IsAffine ? "dx = scale·σ'(x')·gσ" : "dx = σ'(x)·gσ")} (masked: 0), and this lane's share of every parameter gradient."
                : $"// Pass 2: {(spec.IsAffine ? "dx = scale·σ'(x')·gσ" : "dx = σ'(x)·gσ")} (masked: 0).");
            if (spec.HasParameters)
            {
                writer.Line(spec.Modulator is null
                    ? "// The shares add up without a branch: an inactive term has r = 0 and adds 0, and a poisoned row (gσ = NaN)"
                    : "// The shares add up without a branch: an entry with gσ = 0 adds exactly 0, and a poisoned row (gσ = NaN)");
                writer.Line("// makes them NaN, as autograd of the formula does.");
            }

            static Local Accumulator(ParameterGradient gradient) => new(gradient.AccumulatorStem);
            foreach (ParameterGradient gradient in math.Gradients)
            {
                writer.Line($"{t} {Accumulator(gradient)} = 0;");
            }

            var v = new Local("v");
            var gs = new Local("gs");
            using (RowLoop(writer))
            {
                writer.Line($"{t} {v} = x[start + i];");
                using (writer.Block($"if ({v} == {t}.NegativeInfinity)"))
                {
                    writer.Line("dx[start + i] = 0;");
                    writer.Line("continue;");
                }

                writer.Line($"{t} yi = y[start + i];");
                writer.Line(logarithm
                    ? $"{t} {gs} = dy[start + i] - global::ILGPU.Algorithms.XMath.Exp(yi) * dot;"
                    : $"{t} {gs} = yi * (dy[start + i] - dot);");
                Local dxi = printer.WriteInputGradient(writer, v, gs, gs, Accumulator, "dxi");
                writer.Line($"dx[start + i] = {dxi};");
            }

            if (!spec.HasParameters)
            {
                return;
            }

            writer.Line();
            writer.Line("// Sum each gradient over the group; lane 0 writes this row's slot (an Above threshold's negated).");
            WriteParameterSlot(writer, spec, math, poisoned, "global::ILGPU.Group.IdxX == 0", "(long)row", $"{t}.NaN", poisonEvery: false);
        }
    }

    /// <summary>
    /// Sums each parameter-gradient accumulator (<c>grad…</c>) over the group, and has the first lane write them to slot
    /// <paramref name="slot"/> of <c>partials</c>: an Above threshold's sum negated, 0 for a parameter σ does not depend on
    /// (the threshold of a term whose coefficient is a constant 0). Where a parameter σ reads is NaN the slot is NaN — for
    /// the parameters with gradients, as the row operators do, or with <paramref name="poisonEvery"/> for all, as the
    /// fused operators do.
    /// </summary>
    private static void WriteParameterSlot(
        SourceWriter writer, NormalizerSpec spec, ModulatorMath math, Local? poisoned, string firstLane, string slot, string nan, bool poisonEvery)
    {
        static Local Accumulator(ParameterGradient gradient) => new(gradient.AccumulatorStem);
        foreach (ParameterGradient gradient in math.Gradients)
        {
            writer.Line($"{Accumulator(gradient)} = {Reduce}.Sum({Accumulator(gradient)});");
        }

        using (writer.Block($"if ({firstLane})"))
        {
            for (int k = 0; k < spec.ParameterCount; k++)
            {
                ParameterGradient? gradient = math.Gradients.FirstOrDefault(g => g.ParameterIndex == k);
                string value = gradient is null ? "0" : Accumulator(gradient).Name;
                if (poisoned is not null && (gradient is not null || poisonEvery))
                {
                    value = $"{poisoned} ? {nan} : {value}";
                }

                writer.Line($"partials[{slot} * {spec.ParameterCount} + {k}] = {value};");
            }
        }
    }

    /// <summary>
    /// Declares <c>poisoned</c> when σ reads learnable parameters (<see cref="ModulatorPrinter.AnyParameterIsNaN"/>) and
    /// returns it; the kernels make NaN rows of it explicitly, since XMath.Max drops a NaN on CUDA and keeps it on the CPU
    /// accelerator.
    /// </summary>
    private static Local? WritePoisonFlag(SourceWriter writer, ModulatorPrinter printer)
    {
        if (printer.AnyParameterIsNaN() is not { } check)
        {
            return null;
        }

        var poisoned = new Local("poisoned");
        writer.Line("// A NaN parameter makes σ NaN wherever it is evaluated: every row with an unmasked entry is NaN.");
        writer.Line($"bool {poisoned} = {check};");
        return poisoned;
    }

    /// <summary>Every learnable value the kernel reads, into a register once rather than from memory for every entry.</summary>
    private static void WriteParameterLocals(SourceWriter writer, ModulatorPrinter printer, IEnumerable<Symbol> symbols)
    {
        var parameters = new Local("parameters");
        string t = printer.Math.Type.Keyword();
        bool first = true;
        foreach (Symbol symbol in symbols)
        {
            if (first)
            {
                writer.Line("// The learnable values, read once into registers rather than from memory for every entry.");
                first = false;
            }

            writer.Line($"{t} {symbol.Name} = {printer.Definition(symbol, parameters)};");
        }
    }

    private static SourceWriter.Scope RowLoop(SourceWriter writer) =>
        writer.Block("for (int i = global::ILGPU.Group.IdxX; i < rowLength; i += global::ILGPU.Group.DimX)");
}
