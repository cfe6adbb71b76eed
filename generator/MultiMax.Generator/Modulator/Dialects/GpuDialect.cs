using MultiMax.Generator.Model;

namespace MultiMax.Generator.Modulator.Dialects;

/// <summary>
/// ILGPU kernel code: scalars in registers, as <see cref="ScalarDialect"/>, with ILGPU.Algorithms' <c>XMath</c> where
/// a method must compile on every accelerator. Learnable symbols are registers the kernel reads once.
/// </summary>
internal sealed class GpuDialect(ElementType type) : ScalarDialect(type)
{
    public override string Relu(string difference) => $"global::ILGPU.Algorithms.XMath.Max({difference}, {Zero})";

    /// <summary>A multiply and an add, which CUDA's compiler contracts into one fused instruction.</summary>
    public override string AddProduct(Local target, string factor, string product) => $"{target} += {factor} * {product};";

    public override string Function(SigmaKind function, string operand) => $"global::ILGPU.Algorithms.XMath.{function}({operand})";

    public override string Extremum(SigmaKind maxOrMin, string left, string right) => $"global::ILGPU.Algorithms.XMath.{maxOrMin}({left}, {right})";
}
