using MultiMax.Generator.Emit;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Modulator.Dialects;

/// <summary>
/// Scalars of the element type, for the entries of a CPU row past its last whole vector: the same operations as
/// <see cref="VectorDialect"/>, one rounding each, so the tail computes exactly what the lanes do. ILGPU kernel code is
/// scalars too, and differs only in two spellings (<see cref="GpuDialect"/>).
/// </summary>
internal class ScalarDialect(ElementType type) : IDialect
{
    public ElementType Type => type;

    public string Constant(double value) => type.Literal(value);

    public string Reference(Symbol symbol) => symbol.IsConstant ? Constant(symbol.Value) : symbol.Name;

    public string Declare(Local local, string value) => $"var {local} = {value};";

    /// <summary>The same instruction as the lanes' <c>Vector.MaxNative</c>, so a NaN difference gives here what it gives there.</summary>
    public virtual string Relu(string difference) => $"{type.Keyword()}.MaxNative({difference}, {Constant(0)})";

    public string Power(Local r, int power) => ModulatorPrinter.Product(r, power);

    public string Select(string condition, string whenTrue, string whenFalse) => $"{condition} ? {whenTrue} : {whenFalse}";

    /// <summary>
    /// Exp, Log and Tanh through the lanes' own <c>VectorMath</c> on a broadcast entry, so that an entry past the last
    /// whole vector gets the bits a lane would; Sqrt and Abs are exact either way.
    /// </summary>
    public virtual string Function(SigmaKind function, string operand) => function is SigmaKind.Sqrt or SigmaKind.Abs
        ? $"{type.MathClass()}.{function}({operand})"
        : $"VectorMath.{function}(new global::System.Numerics.Vector<{type.Keyword()}>({operand}))[0]";

    public virtual string Extremum(SigmaKind maxOrMin, string left, string right) => $"{type.MathClass()}.{maxOrMin}({left}, {right})";

    public string Compare(SigmaComparison comparison, string left, string right) => $"{left} {Operator(comparison)} {right}";

    public string ConstantLike(double value, Local like) => Constant(value);

    public virtual string MultiplyAdd(string a, string b, string c) => $"{type.MathClass()}.FusedMultiplyAdd({a}, {b}, {c})";

    public bool HasCallPrologue => true;

    private static string Operator(SigmaComparison comparison) => comparison switch
    {
        SigmaComparison.Less => "<",
        SigmaComparison.LessOrEqual => "<=",
        SigmaComparison.Greater => ">",
        SigmaComparison.GreaterOrEqual => ">=",
        _ => "==",
    };
}
