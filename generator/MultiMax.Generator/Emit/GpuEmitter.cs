using System.Collections.Generic;
using System.Linq;
using MultiMax.Generator.Model;
using MultiMax.Generator.Modulator;
using MultiMax.Generator.Modulator.Dialects;

namespace MultiMax.Generator.Emit;

/// <summary>
/// Emits the ILGPU face of one normalizer: the nested static class <c>&lt;Name&gt;Gpu</c> with typed host methods for
/// each declared element type, and σ as an <c>IGpuModulator</c> struct per element type that the runtime's generic row
/// kernels (<c>GpuRowKernels</c>) are compiled over. A pure function of the model.
/// </summary>
internal static partial class GpuEmitter
{
    private const string Runner = "global::MultiMax.Gpu.CompilerServices.GpuNormalizerRunner";
    private const string RowKernels = "global::MultiMax.Gpu.CompilerServices.GpuRowKernels";
    private const string Reduce = "global::MultiMax.Gpu.CompilerServices.GroupReduce";

    public static string Emit(OverloadGroup group)
    {
        NormalizerSpec spec = group.Modulator;
        var writer = new SourceWriter();
        var math = new ModulatorMath(spec);
        FileHeader.Write(writer, spec, math, $"ILGPU kernels for {DeclarationCode.Describe(spec)}", "each row",
            "σ as a struct the runtime's row kernels are compiled over; one group per row, σ recomputed in each pass instead of stored.");

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
                    WriteModulator(writer, spec, printer);
                    writer.Line();
                    WriteScoreGradient(writer, printer);
                    writer.Line();
                    WriteCrossEntropyKernels(writer, spec, printer);
                }
            }
        }

        return writer.ToString();
    }

    private static string View(ElementType type) => $"global::ILGPU.ArrayView<{type.Keyword()}>";

    private static string Suffix(ElementType type) => type == ElementType.Float ? "Float" : "Double";

    /// <summary>The runtime's <c>IGpuElement</c> for <paramref name="type"/>: XMath and the group reductions in that type.</summary>
    private static string Element(ElementType type) => "global::MultiMax.Gpu.CompilerServices." + (type == ElementType.Float ? "GpuSingle" : "GpuDouble");

    /// <summary>The type arguments of the runtime's generic kernels for this declaration in <paramref name="type"/>.</summary>
    private static string KernelTypeArguments(ElementType type) => $"<{type.Keyword()}, {Element(type)}, {ModulatorName(type)}>";

    /// <summary>What the row kernels write, as the runtime's <c>NormalizerOutput</c>.</summary>
    private static string Output(NormalizerSpec spec) =>
        "global::MultiMax.NormalizerOutput." + (spec.Output == NormalizerOutputKind.LogProbabilities ? "LogProbabilities" : "Probabilities");

    private static void WriteForwardHost(SourceWriter writer, NormalizerSpec spec, ElementType type)
    {
        string view = View(type);
        string parameters = spec.HasParameters ? $", {view} parameters" : "";
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
        writer.Line($"public static void Forward(global::ILGPU.Runtime.AcceleratorStream stream, {view} x, {view} y, int rowLength{parameters}) =>");
        writer.Line($"    {RowKernels}.Forward{KernelTypeArguments(type)}(stream, x, y, rowLength, {(spec.HasParameters ? "parameters" : "default")}, {Output(spec)});");
    }

    private static void WriteBackwardHost(SourceWriter writer, NormalizerSpec spec, ElementType type)
    {
        string view = View(type);
        string parameters = spec.HasParameters ? $", {view} parameters, {view} parameterGradients" : "";
        writer.Line("/// <summary>The backward pass: writes <paramref name=\"dx\"/>" + (spec.HasParameters ? " and overwrites <paramref name=\"parameterGradients\"/> with the sums over all rows (this waits for the stream)" : "") + ".</summary>");
        writer.Line("/// <param name=\"stream\">The stream to launch on; its accelerator holds the views.</param>");
        DeclarationCode.WriteBackwardParameterDocs(writer, spec);

        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A view length or the row length is inconsistent, or an output overlaps an input; nothing is launched then.</exception>");
        string parameterArguments = spec.HasParameters ? "parameters, parameterGradients" : "default, default";
        writer.Line($"public static void Backward(global::ILGPU.Runtime.AcceleratorStream stream, {view} x, {view} y, {view} dy, {view} dx, int rowLength{parameters}) =>");
        writer.Line($"    {RowKernels}.Backward{KernelTypeArguments(type)}(stream, x, y, dy, dx, rowLength, {parameterArguments}, {Output(spec)});");
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

    /// <summary>
    /// Sums each parameter-gradient accumulator (<c>grad…</c>) over the group, and has the first lane write them to slot
    /// <paramref name="slot"/> of <c>partials</c>: an Above threshold's sum negated, 0 for a parameter σ does not depend on
    /// (the threshold of a term whose coefficient is a constant 0). Where a parameter σ reads is NaN the slot is NaN — for
    /// the parameters with gradients, as the row operators do, or with <paramref name="poisonEvery"/> for all, as the
    /// fused operators do.
    /// </summary>
    private static void WriteParameterSlot(
        SourceWriter writer, NormalizerSpec spec, ModulatorMath math, Local? poisoned, string firstLane, string slot, string nan, bool poisonEvery,
        System.Func<ParameterGradient, Local>? accumulator = null)
    {
        accumulator ??= Accumulator;
        foreach (ParameterGradient gradient in math.Gradients)
        {
            writer.Line($"{accumulator(gradient)} = {Reduce}.Sum({accumulator(gradient)});");
        }

        using (writer.Block($"if ({firstLane})"))
        {
            for (int k = 0; k < spec.ParameterCount; k++)
            {
                ParameterGradient? gradient = math.Gradients.FirstOrDefault(g => g.ParameterIndex == k);
                string value = gradient is null ? "0" : accumulator(gradient).Name;
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
}
