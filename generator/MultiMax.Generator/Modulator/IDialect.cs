using MultiMax.Generator.Model;

namespace MultiMax.Generator.Modulator;

/// <summary>
/// How one target spells the few operations σ is made of. <see cref="ModulatorPrinter"/> owns the mathematics and
/// writes it through a dialect: SIMD lanes (<see cref="Dialects.VectorDialect"/>), scalars
/// (<see cref="Dialects.ScalarDialect"/>), ILGPU kernel code (<see cref="Dialects.GpuDialect"/>) or torch ops
/// (<see cref="Dialects.TorchDialect"/>). Operands are C# expressions built from <see cref="Local"/> handles and
/// symbols; the usual operators <c>+ − * /</c> and unary minus work on all four, so only what differs is here.
/// </summary>
internal interface IDialect
{
    /// <summary>The element type of the values it computes on (double for torch ops, whose scalars keep a tensor's dtype).</summary>
    ElementType Type { get; }

    /// <summary>A constant as an operand: a literal, or a broadcast of one.</summary>
    string Constant(double value);

    /// <summary>A symbol as an operand: a constant's literal, or the local or parameter that holds the value.</summary>
    string Reference(Symbol symbol);

    /// <summary>The statement declaring <paramref name="local"/> with <paramref name="value"/>.</summary>
    string Declare(Local local, string value);

    /// <summary><c>max(difference, 0)</c>.</summary>
    string Relu(string difference);

    /// <summary><c>r^power</c> for power ≥ 1, unrolled where that is how the target multiplies.</summary>
    string Power(Local r, int power);

    /// <summary><c>condition ? whenTrue : whenFalse</c>, lane by lane where there are lanes.</summary>
    string Select(string condition, string whenTrue, string whenFalse);

    /// <summary><c>Exp</c>, <c>Log</c>, <c>Tanh</c>, <c>Sqrt</c> or <c>Abs</c> of an operand (σ written as C#).</summary>
    string Function(SigmaKind function, string operand);

    /// <summary><c>Max</c> or <c>Min</c> of two operands, NaN if either is, as <c>Math.Max</c>.</summary>
    string Extremum(SigmaKind maxOrMin, string left, string right);

    /// <summary>The comparison as a value <see cref="Select"/> takes; <paramref name="left"/> is never a constant.</summary>
    string Compare(SigmaComparison comparison, string left, string right);

    /// <summary>
    /// A constant where an operation needs a value of the computed kind, not a number (torch's maximum and where take
    /// tensors): a tensor shaped like <paramref name="like"/>; elsewhere <see cref="Constant"/>.
    /// </summary>
    string ConstantLike(double value, Local like);

    /// <summary><c>a·b + c</c>, in one rounding where the target has a fused multiply-add.</summary>
    string MultiplyAdd(string a, string b, string c);

    /// <summary>Whether the code has a prologue run once per call, where values that do not depend on x are computed (torch ops do not).</summary>
    bool HasCallPrologue { get; }
}
