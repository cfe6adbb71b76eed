using MultiMax.Generator.Emit;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Modulator.Dialects;

/// <summary>
/// SIMD lanes of <c>Vector&lt;T&gt;</c> or <c>Vector512&lt;T&gt;</c> (<paramref name="width"/>), for the body of a CPU
/// row. Symbols are read from their broadcast locals (<c>a0V</c>, <c>inv0V</c>), which the kernel declares once per
/// block; <paramref name="zero"/> is the kernel's own broadcast 0.
/// </summary>
internal sealed class VectorDialect(ElementType type, LaneWidth width, Local zero) : IDialect
{
    public ElementType Type => type;

    /// <summary>The broadcast local of a learnable symbol: <c>a0</c> → <c>a0V</c>.</summary>
    public static Local Broadcast(Symbol symbol) => new(symbol.Name + "V");

    public string Constant(double value) => width.Broadcast(type.Keyword(), type.Literal(value));

    public string Reference(Symbol symbol) => symbol.IsConstant ? Constant(symbol.Value) : Broadcast(symbol).Name;

    public string Declare(Local local, string value) => $"var {local} = {value};";

    /// <summary>
    /// The native instruction: on x86 it returns 0 for a NaN difference (Arm64's returns NaN). Either is harmless: a NaN
    /// input makes σ NaN through its leading x, and a NaN parameter is checked for explicitly.
    /// </summary>
    public string Relu(string difference) => $"{width.Api}.MaxNative({difference}, {zero})";

    public string Power(Local r, int power) => ModulatorPrinter.Product(r, power);

    public string Select(string condition, string whenTrue, string whenFalse) => $"{width.Api}.ConditionalSelect({condition}, {whenTrue}, {whenFalse})";

    /// <summary>Our vector forms (<c>VectorMath</c>), at both widths: the BCL's Log and Sqrt, our own Tanh, the kernels' Exp.</summary>
    public string Function(SigmaKind function, string operand) =>
        function == SigmaKind.Abs ? $"{width.Api}.Abs({operand})" : $"VectorMath.{function}({operand})";

    /// <summary>The BCL's IEEE maximum and minimum, which return NaN when either lane is NaN (<c>MaxNative</c> would not).</summary>
    public string Extremum(SigmaKind maxOrMin, string left, string right) => $"{width.Api}.{maxOrMin}({left}, {right})";

    public string Compare(SigmaComparison comparison, string left, string right) => $"{width.Api}.{comparison switch
    {
        SigmaComparison.Less => "LessThan",
        SigmaComparison.LessOrEqual => "LessThanOrEqual",
        SigmaComparison.Greater => "GreaterThan",
        SigmaComparison.GreaterOrEqual => "GreaterThanOrEqual",
        _ => "Equals",
    }}({left}, {right})";

    public string ConstantLike(double value, Local like) => Constant(value);

    public string MultiplyAdd(string a, string b, string c) => $"{width.Api}.FusedMultiplyAdd({a}, {b}, {c})";

    public bool HasCallPrologue => true;
}
