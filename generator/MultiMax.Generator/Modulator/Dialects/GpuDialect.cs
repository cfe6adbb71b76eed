using MultiMax.Generator.Model;

namespace MultiMax.Generator.Modulator.Dialects;

/// <summary>
/// ILGPU kernel code: scalars in registers, as <see cref="ScalarDialect"/>, with ILGPU.Algorithms' <c>XMath</c> where
/// a method must compile on every accelerator. Learnable symbols are registers the kernel reads once.
/// </summary>
internal sealed class GpuDialect(ElementType type) : ScalarDialect(type)
{
    public override string Relu(string difference) => $"global::ILGPU.Algorithms.XMath.Max({difference}, {Constant(0)})";

    /// <summary>A multiply and an add, which CUDA's compiler contracts into one fused instruction.</summary>
    public override string MultiplyAdd(string a, string b, string c) => $"{a} * {b} + {c}";

    public override string Function(SigmaKind function, string operand) => $"global::ILGPU.Algorithms.XMath.{function}({operand})";

    /// <summary><c>XMath.Max</c>/<c>Min</c>, which drop a NaN on CUDA: a NaN operand is passed on explicitly, as <c>Math.Max</c> does.</summary>
    public override string Extremum(SigmaKind maxOrMin, string left, string right) =>
        $"{Type.Keyword()}.IsNaN({left}) ? {left} : {Type.Keyword()}.IsNaN({right}) ? {right} : global::ILGPU.Algorithms.XMath.{maxOrMin}({left}, {right})";
}
