using MultiMax.Generator.Model;
using MultiMax.Generator.Modulator;

namespace MultiMax.Generator.Emit;

/// <summary>
/// Emits the CPU implementation of one normalizer: the partial method, its <c>&lt;Name&gt;Backward</c>, and a
/// file-local kernel struct with fused, vectorised forward and backward row loops. A pure function of the model.
/// </summary>
internal static partial class CpuEmitter
{
    public static string Emit(NormalizerSpec spec)
    {
        var writer = new SourceWriter();
        var math = new ModulatorMath(spec);
        string kernel = "global::MultiMax.Generated." + KernelName(spec);

        FileHeader.Write(writer, spec, math, $"CPU kernels for {DeclarationCode.QualifiedName(spec)} ({spec.ElementType.Keyword()})", "each row");
        WriteDeclarations(writer, spec, kernel);
        writer.Line();
        using (writer.Block("namespace MultiMax.Generated"))
        {
            writer.Line("using System;");
            writer.Line("using System.Numerics;");
            writer.Line("using System.Runtime.CompilerServices;");
            writer.Line("using System.Runtime.InteropServices;");
            writer.Line("using System.Runtime.Intrinsics;");
            writer.Line("using MultiMax.CompilerServices;");
            writer.Line();
            WriteKernel(writer, spec, math);
        }

        return writer.ToString();
    }

    /// <summary>
    /// On each kernel method: compiled fully optimized at its first call, so the first call is as fast as the
    /// hundredth and gives the same bits (tiered compilation would start with unoptimized code that rounds differently).
    /// </summary>
    private const string AggressiveOptimization = "[MethodImpl(MethodImplOptions.AggressiveOptimization)]";

    /// <summary>The widths every row kernel is printed at, in the order <see cref="WriteWidthDispatch"/> tries them.</summary>
    private static readonly LaneWidth[] Widths = { LaneWidth.Wide, LaneWidth.Native };

    /// <summary>
    /// The kernel method <paramref name="name"/> of <c>INormalizerKernel&lt;T&gt;</c>: it runs the rows at 512 bits where
    /// the hardware accelerates them and a row holds at least one whole 512-bit vector, and at <c>Vector&lt;T&gt;</c>'s
    /// width otherwise (a row of 8 to 15 floats is still a vector there, rather than 8 to 15 scalars).
    /// </summary>
    private static void WriteWidthDispatch(SourceWriter writer, string t, string name, string parameters, string arguments)
    {
        writer.Line();
        writer.Line(AggressiveOptimization);
        using (writer.Block($"public static void {name}({parameters})"))
        {
            writer.Line("// 512-bit lanes where the hardware accelerates them (Vector<T> is usually 256 bits there) and a row fills one.");
            writer.Line($"if (Vector512.IsHardwareAccelerated && rowLength >= {LaneWidth.Wide.Count(t)}) {name}{LaneWidth.Wide.Name}({arguments});");
            writer.Line($"else {name}{LaneWidth.Native.Name}({arguments});");
        }
    }

    /// <summary>The kernel is file-local, so a short name cannot clash with anything the user declares.</summary>
    private static string KernelName(NormalizerSpec spec) => spec.MethodName + "Kernel";

    private static void WriteDeclarations(SourceWriter writer, NormalizerSpec spec, string kernel)
    {
        string t = spec.ElementType.Keyword();
        string readOnlySpan = $"global::System.ReadOnlySpan<{t}>", span = $"global::System.Span<{t}>";
        SignatureNames names = spec.Names;
        string runner = "global::MultiMax.CompilerServices.NormalizerRunner";
        string noParameters = $"{readOnlySpan}.Empty";
        string x = Identifiers.Escape(names.X), y = Identifiers.Escape(names.Y), rowLength = Identifiers.Escape(names.RowLength);
        string? parameters = names.Parameters is null ? null : Identifiers.Escape(names.Parameters);

        using System.IDisposable containers = DeclarationCode.OpenContainers(writer, spec);

        string forwardParameters = $"{DeclarationCode.FirstParameterPrefix(spec)}{names.ScopedPrefix(0)}{readOnlySpan} {x}, {names.ScopedPrefix(1)}{span} {y}, int {rowLength}"
            + (parameters is null ? "" : $", {names.ScopedPrefix(3)}{readOnlySpan} {parameters}");
        writer.Line(DeclarationCode.GeneratedCodeAttribute);
        writer.Line($"{spec.Modifiers} partial void {Identifiers.Escape(spec.MethodName)}({forwardParameters})");
        writer.Line($"    => {runner}.Forward<{kernel}, {t}>({x}, {y}, {rowLength}, {parameters ?? noParameters});");
        writer.Line();

        writer.Line($"/// <summary>The backward pass of <see cref=\"{DeclarationCode.ForwardCref(spec)}\"/>: gradients of a loss with respect to its inputs.</summary>");
        DeclarationCode.WriteBackwardParameterDocs(writer, spec);

        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A length or the row length is inconsistent, or an output overlaps an input; nothing is written then.</exception>");
        writer.Line(DeclarationCode.GeneratedCodeAttribute);
        string backwardParameters = OperatorSignatures.Declaration(OperatorSignatures.Backward(spec.HasParameters), Surface.Span, t);
        writer.Line($"{DeclarationCode.AccessibilityPrefix(spec)}static void {Identifiers.Escape(spec.MethodName + "Backward")}({backwardParameters})");
        writer.Line(spec.HasParameters
            ? $"    => {runner}.Backward<{kernel}, {t}>(x, y, dy, dx, rowLength, parameters, parameterGradients);"
            : $"    => {runner}.Backward<{kernel}, {t}>(x, y, dy, dx, rowLength, {noParameters}, {span}.Empty);");
        WriteAttentionDeclarations(writer, spec);
        WriteCrossEntropyDeclarations(writer, spec);
    }

    private static void WriteKernel(SourceWriter writer, NormalizerSpec spec, ModulatorMath math)
    {
        string t = spec.ElementType.Keyword();
        writer.Line($"/// <summary>The fused row kernels of <c>{DeclarationCode.QualifiedName(spec).Replace("<", "&lt;").Replace(">", "&gt;")}</c>, run by <c>NormalizerRunner</c> on blocks of whole rows.</summary>");
        writer.Line(DeclarationCode.GeneratedCodeAttribute);
        using (writer.Block($"file readonly struct {KernelName(spec)} : INormalizerKernel<{t}>"))
        {
            writer.Line($"public static int ParameterCount => {spec.ParameterCount};");
            string parameters = $"ReadOnlySpan<{t}> parameters";
            WriteWidthDispatch(writer, t, "Forward", $"ReadOnlySpan<{t}> x, Span<{t}> y, int rowLength, {parameters}", "x, y, rowLength, parameters");
            foreach (LaneWidth width in Widths)
            {
                writer.Line();
                WriteForward(new CpuKernelScope(writer, math, width), spec);
            }

            WriteWidthDispatch(
                writer, t, "Backward",
                $"ReadOnlySpan<{t}> x, ReadOnlySpan<{t}> y, ReadOnlySpan<{t}> dy, Span<{t}> dx, int rowLength, {parameters}, Span<double> parameterGradients",
                "x, y, dy, dx, rowLength, parameters, parameterGradients");
            foreach (LaneWidth width in Widths)
            {
                writer.Line();
                WriteBackward(new CpuKernelScope(writer, math, width), spec);
            }
        }

        writer.Line();
        WriteModulatorKernel(writer, spec, math);
    }
}
