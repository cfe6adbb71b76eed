using System.Collections.Generic;
using System.Linq;
using MultiMax.Generator.Model;
using MultiMax.Generator.Modulator;

namespace MultiMax.Generator.Emit;

internal static partial class CpuEmitter
{
    /// <summary>The file-local struct with σ and σ′ as span kernels, for the tiles of fused attention.</summary>
    private static string ModulatorName(NormalizerSpec spec) => spec.MethodName + "Modulator";

    /// <summary>
    /// <c>&lt;Name&gt;Attention</c> and <c>&lt;Name&gt;AttentionBackward</c>: fused scaled-dot-product attention whose
    /// scores are normalized by this declaration's σ, run by <c>AttentionRunner</c>'s tile loops.
    /// </summary>
    private static void WriteAttentionDeclarations(SourceWriter writer, NormalizerSpec spec)
    {
        string t = spec.ElementType.Keyword();
        string readOnlySpan = $"global::System.ReadOnlySpan<{t}>", span = $"global::System.Span<{t}>";
        string runner = "global::MultiMax.CompilerServices.AttentionRunner";
        string modulator = "global::MultiMax.Generated." + ModulatorName(spec);
        string shape = "global::MultiMax.AttentionShape";
        string mask = "global::System.ReadOnlySpan<bool> keyPaddingMask = default, bool causal = false, " + t + "? scale = null";
        string parameters = spec.HasParameters ? $"{readOnlySpan} parameters, " : "";
        string parametersArgument = spec.HasParameters ? "parameters" : $"{readOnlySpan}.Empty";
        string accessibility = DeclarationCode.AccessibilityPrefix(spec);
        string forward = DeclarationCode.ForwardCref(spec);

        writer.Line();
        writer.Line("/// <summary>");
        writer.Line($"/// Fused scaled-dot-product attention weighted by <see cref=\"{forward}\"/>: for every query,");
        writer.Line("/// <c>output = Σ_j p_j·value_j</c> with <c>p = SoftMax(σ(scale·query·keyᵀ))</c> over its visible keys, computed tile by tile");
        writer.Line("/// (flash-style): nothing of size queries × keys is ever allocated. The weights are probabilities whatever the");
        writer.Line("/// declaration's output kind.");
        writer.Line("/// </summary>");
        WriteAttentionInputDocs(writer, spec);
        writer.Line("/// <param name=\"output\">Receives [batch, heads, queries, headSize]; a query with no visible key gets 0.</param>");
        writer.Line("/// <param name=\"logSumExp\">Receives [batch, heads, queries]: log Σ exp σ per query (−∞ with no visible key), for the backward.</param>");
        WriteAttentionSettingDocs(writer);
        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A length does not fit the shape, or an output overlaps an input; nothing is written then.</exception>");
        writer.Line(DeclarationCode.GeneratedCodeAttribute);
        writer.Line($"{accessibility}static void {Identifiers.Escape(spec.MethodName + "Attention")}({readOnlySpan} query, {readOnlySpan} key, {readOnlySpan} value, {span} output, {span} logSumExp, {shape} shape, {parameters}{mask})");
        writer.Line($"    => {runner}.Forward<{modulator}, {t}>(query, key, value, output, logSumExp, shape, {parametersArgument}, keyPaddingMask, causal, scale);");

        writer.Line();
        writer.Line($"/// <summary>The backward pass of <c>{Identifiers.Escape(spec.MethodName + "Attention")}</c>: recomputes each tile's weights from <paramref name=\"logSumExp\"/>.</summary>");
        WriteAttentionInputDocs(writer, spec);
        writer.Line("/// <param name=\"output\">The forward's output.</param>");
        writer.Line("/// <param name=\"logSumExp\">The forward's log-sum-exp.</param>");
        writer.Line("/// <param name=\"outputGradient\">The gradient of the loss with respect to <paramref name=\"output\"/>.</param>");
        writer.Line("/// <param name=\"queryGradient\">Receives the gradient with respect to <paramref name=\"query\"/>.</param>");
        writer.Line("/// <param name=\"keyGradient\">Receives the gradient with respect to <paramref name=\"key\"/>.</param>");
        writer.Line("/// <param name=\"valueGradient\">Receives the gradient with respect to <paramref name=\"value\"/>.</param>");
        if (spec.HasParameters)
        {
            writer.Line("/// <param name=\"parameterGradients\">Overwritten with the parameter gradients, summed over every score; the same bits on every run.</param>");
        }

        WriteAttentionSettingDocs(writer);
        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A length does not fit the shape, or an output overlaps an input or another output; nothing is written then.</exception>");
        writer.Line(DeclarationCode.GeneratedCodeAttribute);
        string parameterGradients = spec.HasParameters ? $"{span} parameterGradients, " : "";
        writer.Line($"{accessibility}static void {Identifiers.Escape(spec.MethodName + "AttentionBackward")}({readOnlySpan} query, {readOnlySpan} key, {readOnlySpan} value, {readOnlySpan} output, {readOnlySpan} logSumExp, {readOnlySpan} outputGradient, {span} queryGradient, {span} keyGradient, {span} valueGradient, {shape} shape, {parameters}{parameterGradients}{mask})");
        writer.Line($"    => {runner}.Backward<{modulator}, {t}>(query, key, value, output, logSumExp, outputGradient, queryGradient, keyGradient, valueGradient, shape, {parametersArgument}, {(spec.HasParameters ? "parameterGradients" : $"{span}.Empty")}, keyPaddingMask, causal, scale);");
    }

    private static void WriteAttentionInputDocs(SourceWriter writer, NormalizerSpec spec)
    {
        writer.Line("/// <param name=\"query\">[batch, heads, queries, headSize], row-major.</param>");
        writer.Line("/// <param name=\"key\">[batch, heads, keys, headSize].</param>");
        writer.Line("/// <param name=\"value\">[batch, heads, keys, headSize].</param>");
        writer.Line("/// <param name=\"shape\">The batch, head, query and key counts and the head size.</param>");
        if (spec.HasParameters)
        {
            writer.Line("/// <param name=\"parameters\">σ's learnable parameters, in the layout of the row operator.</param>");
        }
    }

    private static void WriteAttentionSettingDocs(SourceWriter writer)
    {
        writer.Line("/// <param name=\"keyPaddingMask\">Empty, or [batch, keys] with true where a key is padding and gets no weight.</param>");
        writer.Line("/// <param name=\"causal\">Whether query i sees only keys j ≤ i.</param>");
        writer.Line("/// <param name=\"scale\">The score scale; 1/√headSize when null.</param>");
    }

    /// <summary>
    /// The file-local <c>IModulatorKernel</c>: σ over a tile of scores, and σ′·gσ with the parameter sums over a tile.
    /// Masking is the tile loops' job: these only ever see finite stand-ins at masked entries.
    /// </summary>
    private static void WriteModulatorKernel(SourceWriter writer, NormalizerSpec spec, ModulatorMath math)
    {
        string t = spec.ElementType.Keyword();
        writer.Line($"/// <summary>σ of <c>{DeclarationCode.QualifiedName(spec).Replace("<", "&lt;").Replace(">", "&gt;")}</c> over tiles of attention scores, for <c>AttentionRunner</c>.</summary>");
        writer.Line(DeclarationCode.GeneratedCodeAttribute);
        using (writer.Block($"file readonly struct {ModulatorName(spec)} : IModulatorKernel<{t}>"))
        {
            writer.Line($"public static int ParameterCount => {spec.ParameterCount};");
            writer.Line();
            WriteIsPoisoned(new CpuKernelScope(writer, math));
            writer.Line();
            WriteTileSigma(new CpuKernelScope(writer, math));
            writer.Line();
            WriteTileDerivative(new CpuKernelScope(writer, math));
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
            foreach (Symbol symbol in kernel.Math.SigmaSymbols)
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
            Local value = lanes.WriteSigma(writer, lanes.WriteAffine(writer, sv), "sigmaV");
            writer.Line(kernel.Store(value.Name, sigma));
        }

        writer.Line();
        using (writer.Block($"for (int {kernel.Index} = {kernel.VectorEnd}; {kernel.Index} < {s}.Length; {kernel.Index}++)"))
        {
            writer.Line($"{kernel.T} {ss} = {kernel.Element(s)};");
            ModulatorPrinter scalars = kernel.Scalars;
            Local value = scalars.WriteSigma(writer, scalars.WriteAffine(writer, ss), "sigmaS");
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
        if (math.Terms.Count > 0)
        {
            kernel.DeclareOne();
        }

        IReadOnlyList<ParameterGradient> gradients = math.Gradients;
        Local Total(ParameterGradient g) => new(g.AccumulatorStem);
        Local Lanes(ParameterGradient g) => new(g.AccumulatorStem + "V");
        if (gradients.Count > 0)
        {
            writer.Line("double " + string.Join(", ", gradients.Select(g => Total(g) + " = 0")) + ";");
        }

        WriteTileGeometry(kernel, s, s, gradient);
        Local sv = new("sv"), gv = new("gv"), ss = new("ss"), gs = new("gs");
        kernel.WriteChunkedVectorLoop(gradients.Select(g => (Lanes(g), Total(g))).ToArray(), () =>
        {
            writer.Line($"var {sv} = {kernel.Load(s)};");
            writer.Line($"var {gv} = {kernel.Load(gradient)};");
            Local dx = kernel.Lanes.WriteInputGradient(writer, sv, gv, gv, Lanes, "dsV");
            writer.Line(kernel.Store(dx.Name, gradient));
        });

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
            writer.Line("// An Above threshold's gradient is the negated sum: d/dd max(x − d, 0) = −1.");
            foreach (ParameterGradient g in gradients)
            {
                writer.Line($"{parameterGradients}[{g.ParameterIndex}] {(ModulatorPrinter.IsSubtracted(g) ? "-=" : "+=")} {Total(g)};");
            }
        }
    }

    /// <summary>A tile is one row as far as σ is concerned: whole vectors up to <c>vectorEnd</c>, then single entries.</summary>
    private static void WriteTileGeometry(CpuKernelScope kernel, Local length, params Local[] spans)
    {
        SourceWriter writer = kernel.Writer;
        writer.Line($"int {kernel.VectorEnd} = {length}.Length - {length}.Length % Vector<{kernel.T}>.Count;");
        foreach (Local span in spans.Distinct())
        {
            writer.Line($"ref {kernel.T} {CpuKernelScope.Row(span)} = ref MemoryMarshal.GetReference({span});");
        }
    }
}
