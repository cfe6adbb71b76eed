using MultiMax.Generator.Model;

namespace MultiMax.Generator.Emit;

internal static partial class CpuEmitter
{
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
        string optionsFromSettings = $"new global::MultiMax.AttentionOptions<{t}> {{ KeyPaddingMask = keyPaddingMask, Causal = causal, Scale = scale }}";
        string Declaration(Operand[] operands) => OperatorSignatures.Declaration(operands, Surface.Span, t);
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
        DeclarationCode.WriteAttentionInputDocs(writer, spec, groupedHeads: true);
        DeclarationCode.WriteAttentionOutputDocs(writer, options: false);
        DeclarationCode.WriteAttentionSettingDocs(writer, "true");
        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A length does not fit the shape, or an output overlaps an input; nothing is written then.</exception>");
        writer.Line(DeclarationCode.GeneratedCodeAttribute);
        writer.Line($"{accessibility}static void {Identifiers.Escape(spec.MethodName + "Attention")}({Declaration(OperatorSignatures.Attention(spec.HasParameters, options: false))})");
        writer.Line($"    => {runner}.Forward<{modulator}, {t}>(query, key, value, output, logSumExp, shape, {parametersArgument}, {optionsFromSettings}, optionsName: \"\");");

        writer.Line();
        writer.Line($"/// <summary>The same attention with every option: a causal mask or sliding window and its alignment, key padding, an additive bias and sinks (<see cref=\"global::MultiMax.AttentionOptions{{T}}\"/>).</summary>");
        DeclarationCode.WriteAttentionInputDocs(writer, spec, groupedHeads: true);
        DeclarationCode.WriteAttentionOutputDocs(writer, options: true);
        writer.Line("/// <param name=\"options\">The masking, bias, sinks and scale.</param>");
        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A length does not fit the shape, an option does not fit it, or an output overlaps an input; nothing is written then.</exception>");
        writer.Line(DeclarationCode.GeneratedCodeAttribute);
        writer.Line($"{accessibility}static void {Identifiers.Escape(spec.MethodName + "Attention")}({Declaration(OperatorSignatures.Attention(spec.HasParameters, options: true))})");
        writer.Line($"    => {runner}.Forward<{modulator}, {t}>(query, key, value, output, logSumExp, shape, {parametersArgument}, options);");

        writer.Line();
        writer.Line($"/// <summary>The backward pass of <c>{Identifiers.Escape(spec.MethodName + "Attention")}</c>: recomputes each tile's weights from <paramref name=\"logSumExp\"/>.</summary>");
        DeclarationCode.WriteAttentionInputDocs(writer, spec, groupedHeads: true);
        DeclarationCode.WriteAttentionBackwardDocs(writer, spec);

        DeclarationCode.WriteAttentionSettingDocs(writer, "true");
        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A length does not fit the shape, or an output overlaps an input or another output; nothing is written then.</exception>");
        writer.Line(DeclarationCode.GeneratedCodeAttribute);
        writer.Line($"{accessibility}static void {Identifiers.Escape(spec.MethodName + "AttentionBackward")}({Declaration(OperatorSignatures.AttentionBackward(spec.HasParameters, options: false))})");
        string parameterGradientsArgument = spec.HasParameters ? "parameterGradients" : $"{span}.Empty";
        writer.Line($"    => {runner}.Backward<{modulator}, {t}>(query, key, value, output, logSumExp, outputGradient, queryGradient, keyGradient, valueGradient, shape, {parametersArgument}, {parameterGradientsArgument}, {optionsFromSettings}, default, default, optionsName: \"\");");

        writer.Line();
        writer.Line($"/// <summary>The backward pass of the attention with every option: also the bias's and the sinks' gradients, when asked for.</summary>");
        DeclarationCode.WriteAttentionInputDocs(writer, spec, groupedHeads: true);
        DeclarationCode.WriteAttentionBackwardDocs(writer, spec);

        writer.Line("/// <param name=\"options\">The forward's masking, bias, sinks and scale.</param>");
        DeclarationCode.WriteAttentionOptionGradientDocs(writer);
        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A length does not fit the shape, an option does not fit it, or an output overlaps an input or another output; nothing is written then.</exception>");
        writer.Line(DeclarationCode.GeneratedCodeAttribute);
        writer.Line($"{accessibility}static void {Identifiers.Escape(spec.MethodName + "AttentionBackward")}({Declaration(OperatorSignatures.AttentionBackward(spec.HasParameters, options: true))})");
        writer.Line($"    => {runner}.Backward<{modulator}, {t}>(query, key, value, output, logSumExp, outputGradient, queryGradient, keyGradient, valueGradient, shape, {parametersArgument}, {parameterGradientsArgument}, options, biasGradient, sinkGradient);");
    }
}
