using System.Collections.Generic;
using System.Linq;
using MultiMax.Generator.Model;
using MultiMax.Generator.Modulator;

namespace MultiMax.Generator.Emit;

internal static partial class CpuEmitter
{
    /// <summary>The file-local struct with σ and σ′ as span kernels, for the fused operators' tiles and chunks.</summary>
    private static string ModulatorName(NormalizerSpec spec) => spec.MethodName + "Modulator";

    /// <summary>
    /// The file-local <c>IModulatorKernel</c>: σ over a tile of scores (or a block of logits), and σ′·gσ with the
    /// parameter sums over it. Masking is the fused loops' job: these only ever see finite stand-ins at masked entries.
    /// </summary>
    private static void WriteModulatorKernel(SourceWriter writer, NormalizerSpec spec, ModulatorMath math)
    {
        string t = spec.ElementType.Keyword();
        writer.Line($"/// <summary>σ of <c>{DeclarationCode.QualifiedName(spec).Replace("<", "&lt;").Replace(">", "&gt;")}</c> over tiles of attention scores and blocks of logits, for <c>AttentionRunner</c> and <c>CrossEntropyRunner</c>.</summary>");
        writer.Line(DeclarationCode.GeneratedCodeAttribute);
        using (writer.Block($"file readonly struct {ModulatorName(spec)} : IModulatorKernel<{t}>"))
        {
            writer.Line($"public static int ParameterCount => {spec.ParameterCount};");
            writer.Line();
            WriteIsPoisoned(new CpuKernelScope(writer, math, LaneWidth.Native));
            writer.Line();
            WriteTileSigma(new CpuKernelScope(writer, math, LaneWidth.Native));
            writer.Line();
            WriteTileDerivative(new CpuKernelScope(writer, math, LaneWidth.Native));
        }
    }

    private static void WriteIsPoisoned(CpuKernelScope kernel)
    {
        SourceWriter writer = kernel.Writer;
        string signature = $"public static bool IsPoisoned(ReadOnlySpan<{kernel.T}> {kernel.Parameters})";
        if (kernel.Scalars.AnyParameterIsNaN() is not { } check)
        {
            writer.Line($"{signature} => false; // σ reads no learnable parameter");
            return;
        }

        using (writer.Block(signature))
        {
            foreach (Symbol symbol in kernel.Math.ParameterSymbols)
            {
                writer.Line($"{kernel.T} {symbol.Name} = {kernel.Scalars.Definition(symbol, kernel.Parameters)};");
            }

            writer.Line($"return {check};");
        }
    }

    /// <summary>σ of every score of a tile: whole vectors, then single entries.</summary>
    private static void WriteTileSigma(CpuKernelScope kernel)
    {
        SourceWriter writer = kernel.Writer;
        Local s = new("s"), sigma = new("sigma");
        writer.Line(AggressiveOptimization);
        using var method = writer.Block($"public static void Sigma(ReadOnlySpan<{kernel.T}> {s}, Span<{kernel.T}> {sigma}, ReadOnlySpan<{kernel.T}> {kernel.Parameters})");
        if (kernel.Math.IsIdentity)
        {
            writer.Line("// σ is the identity.");
            writer.Line($"{s}.CopyTo({sigma});");
            return;
        }

        kernel.WriteParameterLocals(backward: false);
        kernel.DeclareZero();
        WriteTileGeometry(kernel, s, s, sigma);
        Local sv = new("sv"), ss = new("ss");
        using (kernel.VectorLoop())
        {
            writer.Line($"var {sv} = {kernel.Load(s)};");
            ModulatorPrinter lanes = kernel.Lanes;
            Local value = lanes.WriteSigma(writer, sv, "sigmaV");
            writer.Line(kernel.Store(value.Name, sigma));
        }

        writer.Line();
        using (writer.Block($"for (int {kernel.Index} = {kernel.VectorEnd}; {kernel.Index} < {s}.Length; {kernel.Index}++)"))
        {
            writer.Line($"{kernel.T} {ss} = {kernel.Element(s)};");
            ModulatorPrinter scalars = kernel.Scalars;
            Local value = scalars.WriteSigma(writer, ss, "sigmaS");
            writer.Line($"{kernel.Element(sigma)} = {value};");
        }
    }

    /// <summary>
    /// ds = σ′(s)·gσ over a tile, in place over gσ, and gσ·∂σ/∂θ summed per parameter: lanes within a chunk in the
    /// element type, then in double.
    /// </summary>
    private static void WriteTileDerivative(CpuKernelScope kernel)
    {
        SourceWriter writer = kernel.Writer;
        ModulatorMath math = kernel.Math;
        Local s = new("s"), gradient = new("gradient"), parameterGradients = new("parameterGradients");
        writer.Line(AggressiveOptimization);
        using var method = writer.Block(
            $"public static void Derivative(ReadOnlySpan<{kernel.T}> {s}, Span<{kernel.T}> {gradient}, ReadOnlySpan<{kernel.T}> {kernel.Parameters}, Span<double> {parameterGradients})");
        if (math.IsIdentity)
        {
            writer.Line("// σ is the identity: ds = gσ, and there is no parameter.");
            return;
        }

        kernel.WriteParameterLocals(backward: true);
        kernel.DeclareZero();
        IReadOnlyList<ParameterGradient> gradients = math.Gradients;
        Local Total(ParameterGradient g) => new(g.AccumulatorStem);
        Local Lanes(ParameterGradient g) => new(g.AccumulatorStem + "V");
        if (gradients.Count > 0)
        {
            writer.Line("double " + string.Join(", ", gradients.Select(g => Total(g) + " = 0")) + ";");
        }

        WriteTileGeometry(kernel, s, s, gradient);
        Local sv = new("sv"), gv = new("gv"), ss = new("ss"), gs = new("gs");
        kernel.WriteChunkedVectorLoop(gradients.Select(g => (Lanes(g), Total(g))).ToArray(), body: () =>
        {
            writer.Line($"var {sv} = {kernel.Load(s)};");
            writer.Line($"var {gv} = {kernel.Load(gradient)};");
            Local dx = kernel.Lanes.WriteInputGradient(writer, sv, gv, gv, Lanes, "dsV");
            writer.Line(kernel.Store(dx.Name, gradient));
        }, sumsOutOfLine: true);

        writer.Line();
        using (writer.Block($"for (int {kernel.Index} = {kernel.VectorEnd}; {kernel.Index} < {s}.Length; {kernel.Index}++)"))
        {
            writer.Line($"{kernel.T} {ss} = {kernel.Element(s)};");
            writer.Line($"{kernel.T} {gs} = {kernel.Element(gradient)};");
            Local dx = kernel.Scalars.WriteInputGradient(writer, ss, gs, gs, Total, "dsS");
            writer.Line($"{kernel.Element(gradient)} = {dx};");
        }

        if (gradients.Count > 0)
        {
            writer.Line();
            foreach (ParameterGradient g in gradients)
            {
                writer.Line($"{parameterGradients}[{g.ParameterIndex}] += {Total(g)};");
            }
        }
    }

    /// <summary>A tile is one row as far as σ is concerned: whole vectors up to <c>vectorEnd</c>, then single entries.</summary>
    private static void WriteTileGeometry(CpuKernelScope kernel, Local length, params Local[] spans)
    {
        SourceWriter writer = kernel.Writer;
        writer.Line($"int {kernel.VectorEnd} = {length}.Length - {length}.Length % {kernel.Width.Count(kernel.T)};");
        foreach (Local span in spans.Distinct())
        {
            writer.Line($"ref {kernel.T} {CpuKernelScope.Row(span)} = ref MemoryMarshal.GetReference({span});");
        }
    }
}
