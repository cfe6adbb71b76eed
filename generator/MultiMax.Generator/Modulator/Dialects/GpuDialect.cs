using MultiMax.Generator.Emit;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Modulator.Dialects;

/// <summary>
/// ILGPU kernel code: scalars in registers, with ILGPU.Algorithms' <c>XMath</c> for what must compile on every
/// accelerator. Learnable symbols are registers the kernel reads once.
/// </summary>
internal sealed class GpuDialect(ElementType type) : IDialect
{
    private const string XMath = "global::ILGPU.Algorithms.XMath";

    public ElementType Type => type;

    public string Zero => type.Literal(0);

    public string One => type.Literal(1);

    public string Constant(double value) => type.Literal(value);

    public string Reference(Symbol symbol) => symbol.IsConstant ? Constant(symbol.Value) : symbol.Name;

    public string Declare(Local local, string value) => $"var {local} = {value};";

    public string Relu(string difference) => $"{XMath}.Max({difference}, {Zero})";

    public string Power(Local r, int power) => ModulatorPrinter.Product(r, power);

    /// <summary>A multiply and an add, which CUDA's compiler contracts into one fused instruction.</summary>
    public string AddProduct(Local target, string factor, string product) => $"{target} += {factor} * {product};";

    public string IsPositive(Local r) => $"{r} > {Zero}";

    public string Select(string condition, string whenTrue, string whenFalse) => $"{condition} ? {whenTrue} : {whenFalse}";
}
