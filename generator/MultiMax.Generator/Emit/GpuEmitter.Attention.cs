using MultiMax.Generator.Model;

namespace MultiMax.Generator.Emit;

internal static partial class GpuEmitter
{
    private const string AttentionKernels = "global::MultiMax.Gpu.CompilerServices.GpuAttentionKernels";

    /// <summary>
    /// <c>Attention</c> and <c>AttentionBackward</c>: the span operators <c>&lt;Name&gt;Attention</c>/<c>…Backward</c> on
    /// device views, with the same checks before anything is launched.
    /// </summary>
    private static void WriteAttentionHosts(SourceWriter writer, NormalizerSpec spec, ElementType type)
    {
        string t = type.Keyword();
        string parametersArgument = spec.HasParameters ? "parameters" : "default";
        string fromSettings = $"new global::MultiMax.Gpu.GpuAttentionOptions<{t}> {{ KeyPaddingMask = keyPaddingMask, Causal = causal, Scale = scale }}";
        string Declaration(Operand[] operands) => Stream + OperatorSignatures.Declaration(operands, Surface.Device, t);
        string spanOperator = Identifiers.Escape(spec.MethodName + "Attention");
        string forwardCall = $"{AttentionKernels}.Forward{KernelTypeArguments(type)}(stream, query, key, value, output, logSumExp, shape, {parametersArgument}, ";

        writer.Line("/// <summary>");
        writer.Line($"/// Fused scaled-dot-product attention weighted by <see cref=\"{DeclarationCode.ForwardCref(spec)}\"/>, as <c>{spanOperator}</c> computes it");
        writer.Line("/// on spans, asynchronously on <paramref name=\"stream\"/>: for every query <c>output = Σ_j p_j·value_j</c> with");
        writer.Line("/// <c>p = SoftMax(σ(scale·query·keyᵀ))</c> over its visible keys. Tiles of queries, keys and values live in shared memory;");
        writer.Line("/// nothing of size queries × keys is ever allocated.");
        writer.Line("/// </summary>");
        WriteForwardAttentionDocs(writer, spec, options: false);
        DeclarationCode.WriteAttentionSettingDocs(writer, "a nonzero byte (ILGPU views hold no <c>bool</c>)");
        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A length does not fit the shape, or an output overlaps an input; nothing is launched then.</exception>");
        writer.Line($"public static void Attention({Declaration(OperatorSignatures.Attention(spec.HasParameters, options: false))}) =>");
        writer.Line($"    {forwardCall}{fromSettings});");
        writer.Line();
        writer.Line("/// <summary>The same attention with every option the GPU takes: a causal mask or sliding window and its alignment, key padding, a bias, sinks and the scale.</summary>");
        WriteForwardAttentionDocs(writer, spec, options: true);
        writer.Line("/// <param name=\"options\">The masks, bias, sinks and scale; the default is none and 1/√headSize.</param>");
        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A length does not fit the shape, or an output overlaps an input; nothing is launched then.</exception>");
        writer.Line($"public static void Attention({Declaration(OperatorSignatures.Attention(spec.HasParameters, options: true))}) =>");
        writer.Line($"    {forwardCall}options);");

        string backwardCall = $"{AttentionKernels}.Backward{KernelTypeArguments(type)}(stream, query, key, value, output, logSumExp, outputGradient, queryGradient, keyGradient, valueGradient, shape, {parametersArgument}, {(spec.HasParameters ? "parameterGradients" : "default")}, ";
        writer.Line();
        writer.Line($"/// <summary>The backward pass of <c>Attention</c>: recomputes each tile's weights from <paramref name=\"logSumExp\"/>{(spec.HasParameters ? ", and overwrites <paramref name=\"parameterGradients\"/> (this waits for the stream)" : " (this waits for the stream)")}.</summary>");
        WriteBackwardAttentionDocs(writer, spec);
        DeclarationCode.WriteAttentionSettingDocs(writer, "a nonzero byte (ILGPU views hold no <c>bool</c>)");
        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A length does not fit the shape, or an output overlaps an input or another output; nothing is launched then.</exception>");
        writer.Line($"public static void AttentionBackward({Declaration(OperatorSignatures.AttentionBackward(spec.HasParameters, options: false))}) =>");
        writer.Line($"    {backwardCall}{fromSettings}, default, default);");
        writer.Line();
        writer.Line("/// <summary>The backward pass of the attention with every option the GPU takes; with grouped-query heads, dK and dV add up over each group's query heads in a fixed order.</summary>");
        WriteBackwardAttentionDocs(writer, spec);
        writer.Line("/// <param name=\"options\">The forward's masks, bias, sinks and scale.</param>");
        DeclarationCode.WriteAttentionOptionGradientDocs(writer);
        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A length does not fit the shape, or an output overlaps an input or another output; nothing is launched then.</exception>");
        writer.Line($"public static void AttentionBackward({Declaration(OperatorSignatures.AttentionBackward(spec.HasParameters, options: true))}) =>");
        writer.Line($"    {backwardCall}options, biasGradient, sinkGradient);");
    }

    private static void WriteForwardAttentionDocs(SourceWriter writer, NormalizerSpec spec, bool options)
    {
        writer.Line("/// <param name=\"stream\">The stream to launch on; its accelerator holds the views.</param>");
        DeclarationCode.WriteAttentionInputDocs(writer, spec, groupedHeads: true);
        DeclarationCode.WriteAttentionOutputDocs(writer, options);
    }

    private static void WriteBackwardAttentionDocs(SourceWriter writer, NormalizerSpec spec)
    {
        writer.Line("/// <param name=\"stream\">The stream to launch on; its accelerator holds the views.</param>");
        DeclarationCode.WriteAttentionInputDocs(writer, spec, groupedHeads: true);
        DeclarationCode.WriteAttentionBackwardDocs(writer, spec);
    }
}
