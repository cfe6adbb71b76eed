using MultiMax.Generator.Model;

namespace MultiMax.Generator.Emit;

internal static partial class CpuEmitter
{
    /// <summary>
    /// <c>&lt;Name&gt;CrossEntropy</c> and <c>&lt;Name&gt;CrossEntropyBackward</c>: the fused output layer (linear map, σ,
    /// log-SoftMax and negative log-likelihood) run by <c>CrossEntropyRunner</c>'s chunks, with this declaration's σ.
    /// </summary>
    private static void WriteCrossEntropyDeclarations(SourceWriter writer, NormalizerSpec spec)
    {
        string t = spec.ElementType.Keyword();
        string readOnlySpan = $"global::System.ReadOnlySpan<{t}>", span = $"global::System.Span<{t}>";
        string runner = "global::MultiMax.CompilerServices.CrossEntropyRunner";
        string modulator = "global::MultiMax.Generated." + ModulatorName(spec);
        string inputArguments = "hidden, weight, bias, targets, shape, " + (spec.HasParameters ? "parameters" : $"{readOnlySpan}.Empty");
        string accessibility = DeclarationCode.AccessibilityPrefix(spec);
        string name = Identifiers.Escape(spec.MethodName + "CrossEntropy");

        writer.Line();
        writer.Line("/// <summary>");
        writer.Line($"/// The fused output-layer loss with <see cref=\"{DeclarationCode.ForwardCref(spec)}\"/>'s σ: the mean, over the tokens whose target");
        writer.Line("/// is not <paramref name=\"ignoreIndex\"/>, of <c>−log SoftMax(σ(hidden·weightᵀ + bias))[target]</c>. The logits are formed a");
        writer.Line("/// chunk of tokens at a time: nothing of size tokens × vocab is ever allocated.");
        writer.Line("/// </summary>");
        DeclarationCode.WriteCrossEntropyInputDocs(writer, spec);
        writer.Line("/// <returns>The mean loss; 0 when every target is ignored, NaN when a parameter σ reads is NaN.</returns>");
        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A length does not fit the shape, or a target is neither a class nor the ignore index.</exception>");
        writer.Line(DeclarationCode.GeneratedCodeAttribute);
        writer.Line($"{accessibility}static double {name}({OperatorSignatures.Declaration(OperatorSignatures.CrossEntropy(spec.HasParameters), Surface.Span, t)})");
        writer.Line($"    => {runner}.Loss<{modulator}, {t}>({inputArguments}, ignoreIndex);");

        writer.Line();
        writer.Line("/// <summary>");
        writer.Line($"/// The loss of <c>{name}</c> and, in the same pass, its gradients (those of the mean: multiply them by the upstream");
        writer.Line("/// gradient of the loss). Parameter gradients are summed in double in a fixed order: the same bits on every run.");
        writer.Line("/// </summary>");
        DeclarationCode.WriteCrossEntropyInputDocs(writer, spec);
        DeclarationCode.WriteCrossEntropyGradientDocs(writer, spec);

        writer.Line("/// <returns>The mean loss, as <c>" + name + "</c> returns it.</returns>");
        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A length does not fit the shape, a target is neither a class nor the ignore index, or an output overlaps an input or another output; nothing is written then.</exception>");
        writer.Line(DeclarationCode.GeneratedCodeAttribute);
        string gradientArguments = "hiddenGradient, weightGradient, biasGradient, " + (spec.HasParameters ? "parameterGradients" : $"{span}.Empty");
        writer.Line($"{accessibility}static double {Identifiers.Escape(spec.MethodName + "CrossEntropyBackward")}({OperatorSignatures.Declaration(OperatorSignatures.CrossEntropyBackward(spec.HasParameters), Surface.Span, t)})");
        writer.Line($"    => {runner}.LossAndGradients<{modulator}, {t}>({inputArguments}, {gradientArguments}, ignoreIndex);");
    }
}
