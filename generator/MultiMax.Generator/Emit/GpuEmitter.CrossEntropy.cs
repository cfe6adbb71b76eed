using MultiMax.Generator.Model;

namespace MultiMax.Generator.Emit;

internal static partial class GpuEmitter
{
    private const string LossKernels = "global::MultiMax.Gpu.CompilerServices.GpuCrossEntropyKernels";

    /// <summary>
    /// <c>CrossEntropy</c> and <c>CrossEntropyBackward</c>: the span operators <c>&lt;Name&gt;CrossEntropy</c>/<c>…Backward</c>
    /// on device views, with the same checks before anything is launched.
    /// </summary>
    private static void WriteCrossEntropyHosts(SourceWriter writer, NormalizerSpec spec, ElementType type)
    {
        string Declaration(Operand[] operands) => Stream + OperatorSignatures.Declaration(operands, Surface.Device, type.Keyword());
        string parametersArgument = spec.HasParameters ? "parameters" : "default";
        string spanOperator = Identifiers.Escape(spec.MethodName + "CrossEntropy");

        writer.Line("/// <summary>");
        writer.Line($"/// The fused output-layer loss with <see cref=\"{DeclarationCode.ForwardCref(spec)}\"/>'s σ, as <c>{spanOperator}</c> computes it on spans:");
        writer.Line("/// the mean, over the tokens whose target is not <paramref name=\"ignoreIndex\"/>, of <c>−log SoftMax(σ(hidden·weightᵀ + bias))[target]</c>.");
        writer.Line("/// Tiles of hidden states and weight rows live in shared memory; nothing of size tokens × vocab is ever allocated.");
        writer.Line("/// Copies the targets to the host to check them, and waits for the stream.");
        writer.Line("/// </summary>");
        writer.Line("/// <param name=\"stream\">The stream to launch on; its accelerator holds the views.</param>");
        DeclarationCode.WriteCrossEntropyInputDocs(writer, spec);
        writer.Line("/// <returns>The mean loss; 0 when every target is ignored, NaN when a parameter σ reads is NaN.</returns>");
        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A length does not fit the shape, or a target is neither a class nor the ignore index; nothing is launched then.</exception>");
        writer.Line($"public static double CrossEntropy({Declaration(OperatorSignatures.CrossEntropy(spec.HasParameters))}) =>");
        writer.Line($"    {LossKernels}.Loss{KernelTypeArguments(type)}(stream, hidden, weight, bias, targets, shape, {parametersArgument}, ignoreIndex);");
        writer.Line();
        writer.Line("/// <summary>");
        writer.Line("/// The loss of <c>CrossEntropy</c> and its gradients (those of the mean: multiply them by the upstream gradient of the");
        writer.Line("/// loss). Parameter gradients are summed in double in a fixed order: the same bits on every run. Waits for the stream.");
        writer.Line("/// </summary>");
        writer.Line("/// <param name=\"stream\">The stream to launch on; its accelerator holds the views.</param>");
        DeclarationCode.WriteCrossEntropyInputDocs(writer, spec);
        DeclarationCode.WriteCrossEntropyGradientDocs(writer, spec);

        writer.Line("/// <returns>The mean loss, as <c>CrossEntropy</c> returns it.</returns>");
        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A length does not fit the shape, a target is neither a class nor the ignore index, or an output overlaps an input or another output; nothing is launched then.</exception>");
        string parameterGradientsArgument = spec.HasParameters ? "parameterGradients" : "default";
        writer.Line($"public static double CrossEntropyBackward({Declaration(OperatorSignatures.CrossEntropyBackward(spec.HasParameters))}) =>");
        writer.Line($"    {LossKernels}.Backward{KernelTypeArguments(type)}(stream, hidden, weight, bias, targets, shape, {parametersArgument}, hiddenGradient, weightGradient, biasGradient, {parameterGradientsArgument}, ignoreIndex);");
    }
}
