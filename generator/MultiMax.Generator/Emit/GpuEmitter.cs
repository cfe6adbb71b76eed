using MultiMax.Generator.Model;
using MultiMax.Generator.Modulator;
using MultiMax.Generator.Modulator.Dialects;

namespace MultiMax.Generator.Emit;

/// <summary>
/// Emits the ILGPU face of one normalizer: the nested static class <c>&lt;Name&gt;Gpu</c> with one-line typed host
/// methods for each declared element type, and σ as an <c>IGpuModulator</c> struct per element type. The kernels are
/// the runtime's (<c>GpuRowKernels</c>, <c>GpuAttentionKernels</c>, <c>GpuCrossEntropyKernels</c>), generic over that
/// struct: ILGPU compiles them once per declaration with σ inlined. A pure function of the model.
/// </summary>
internal static partial class GpuEmitter
{
    private const string RowKernels = "global::MultiMax.Gpu.CompilerServices.GpuRowKernels";

    public static string Emit(OverloadGroup group)
    {
        NormalizerSpec spec = group.Modulator;
        var writer = new SourceWriter();
        var math = new ModulatorMath(spec);
        FileHeader.Write(writer, spec, math, $"ILGPU kernels for {DeclarationCode.Describe(spec)}", "each row",
            "σ as a struct that the runtime's generic ILGPU kernels are compiled over.");

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
                    WriteModulator(writer, spec, printer);
                }
            }
        }

        return writer.ToString();
    }

    private static string View(ElementType type) => $"global::ILGPU.ArrayView<{type.Keyword()}>";

    /// <summary>The stream every host method launches on, its first parameter.</summary>
    private const string Stream = "global::ILGPU.Runtime.AcceleratorStream stream, ";

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
        writer.Line($"public static void Forward({Stream}{OperatorSignatures.Declaration(OperatorSignatures.Forward(spec.HasParameters), Surface.Device, type.Keyword())}) =>");
        writer.Line($"    {RowKernels}.Forward{KernelTypeArguments(type)}(stream, x, y, rowLength, {(spec.HasParameters ? "parameters" : "default")}, {Output(spec)});");
    }

    private static void WriteBackwardHost(SourceWriter writer, NormalizerSpec spec, ElementType type)
    {
        writer.Line("/// <summary>The backward pass: writes <paramref name=\"dx\"/>" + (spec.HasParameters ? " and overwrites <paramref name=\"parameterGradients\"/> with the sums over all rows (this waits for the stream)" : "") + ".</summary>");
        writer.Line("/// <param name=\"stream\">The stream to launch on; its accelerator holds the views.</param>");
        DeclarationCode.WriteBackwardParameterDocs(writer, spec);

        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A view length or the row length is inconsistent, or an output overlaps an input; nothing is launched then.</exception>");
        string parameterArguments = spec.HasParameters ? "parameters, parameterGradients" : "default, default";
        writer.Line($"public static void Backward({Stream}{OperatorSignatures.Declaration(OperatorSignatures.Backward(spec.HasParameters), Surface.Device, type.Keyword())}) =>");
        writer.Line($"    {RowKernels}.Backward{KernelTypeArguments(type)}(stream, x, y, dy, dx, rowLength, {parameterArguments}, {Output(spec)});");
    }
}
