using MultiMax.Generator.Model;

namespace MultiMax.Generator.Emit;

/// <summary>
/// The dialect one piece of kernel code is written in: SIMD lanes (<c>Vector&lt;T&gt;</c>, for the body of a row)
/// or a scalar (for the entries past the last whole vector). The same term description yields both, so the
/// tail computes exactly what the vector loop does.
/// </summary>
internal sealed class Lanes
{
    private Lanes(ElementType type, bool isVector)
    {
        Type = type;
        IsVector = isVector;
    }

    public ElementType Type { get; }

    public bool IsVector { get; }

    public static Lanes Vector(ElementType type) => new(type, isVector: true);

    public static Lanes Scalar(ElementType type) => new(type, isVector: false);

    public string Zero => IsVector ? "zero" : Type.Literal(0);

    public string One => IsVector ? "one" : Type.Literal(1);

    /// <summary>The local holding <paramref name="symbol"/> in this dialect: <c>a0V</c> broadcast, or <c>a0</c>.</summary>
    public string Local(string symbol) => IsVector ? symbol + "V" : symbol;

    /// <summary>A per-row gradient accumulator: a vector in the loop, a scalar that the tail continues.</summary>
    public string Accumulator(string name) => IsVector ? name + "V" : name + "Row";

    /// <summary>
    /// <c>max(e, 0)</c>. The SIMD form uses the native instruction: a NaN argument can only come from a NaN input,
    /// which already makes σ NaN through its leading <c>x</c>.
    /// </summary>
    public string Relu(string e) => IsVector ? $"Vector.MaxNative({e}, zero)" : $"Math.Max({e}, {Zero})";

    /// <summary><c>a·b + c</c> with one rounding: one instruction for every term of σ.</summary>
    public string MultiplyAdd(string a, string b, string c) =>
        IsVector ? $"Vector.FusedMultiplyAdd({a}, {b}, {c})" : $"{Type.MathClass()}.FusedMultiplyAdd({a}, {b}, {c})";

    /// <summary>A constant as an operand of this dialect: a literal, or a broadcast the JIT turns into a constant vector.</summary>
    public string Constant(double value) =>
        IsVector ? $"new Vector<{Type.Keyword()}>({Type.Literal(value).Trim('(', ')')})" : Type.Literal(value).Trim('(', ')');

    public string IsPositive(string e) => IsVector ? $"Vector.GreaterThan({e}, zero)" : $"{e} > {Zero}";

    public string Select(string condition, string whenTrue, string whenFalse) =>
        IsVector ? $"Vector.ConditionalSelect({condition}, {whenTrue}, {whenFalse})" : $"{condition} ? {whenTrue} : {whenFalse}";
}
