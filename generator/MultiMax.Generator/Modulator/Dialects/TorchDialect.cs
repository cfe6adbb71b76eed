using MultiMax.Generator.Emit;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Modulator.Dialects;

/// <summary>
/// TorchSharp tensor ops, for the <c>Formula</c> path that autograd differentiates: learnable symbols are elements of
/// the <paramref name="parameters"/> tensor, constants are double literals (a double scalar keeps a tensor's dtype).
/// </summary>
internal sealed class TorchDialect(Local parameters) : IDialect
{
    private const string Tensor = "global::TorchSharp.torch.Tensor";

    public ElementType Type => ElementType.Double;

    public string Constant(double value) => ElementType.Double.Literal(value);

    public string Reference(Symbol symbol) => symbol.IsConstant ? Constant(symbol.Value) : $"{parameters}[{symbol.ParameterIndex}]";

    public string Declare(Local local, string value) => $"{Tensor} {local} = {value};";

    public string Relu(string difference) => $"global::TorchSharp.torch.nn.functional.relu({difference})";

    public string Power(Local r, int power) => power switch
    {
        1 => r.Name,
        2 => $"{r}.square()",
        _ => $"{r}.pow({power})",
    };

    public string Select(string condition, string whenTrue, string whenFalse) =>
        $"global::TorchSharp.torch.where({condition}, {whenTrue}, {whenFalse})";

    public string Function(SigmaKind function, string operand) => $"{operand}.{function.ToString().ToLowerInvariant()}()";

    /// <summary><c>maximum</c>/<c>minimum</c>: NaN-propagating, and a tie's gradient split half and half.</summary>
    public string Extremum(SigmaKind maxOrMin, string left, string right) =>
        $"global::TorchSharp.torch.{(maxOrMin == SigmaKind.Max ? "maximum" : "minimum")}({left}, {right})";

    public string Compare(SigmaComparison comparison, string left, string right) => $"{left}.{comparison switch
    {
        SigmaComparison.Less => "lt",
        SigmaComparison.LessOrEqual => "le",
        SigmaComparison.Greater => "gt",
        SigmaComparison.GreaterOrEqual => "ge",
        _ => "eq",
    }}({right})";

    public string ConstantLike(double value, Local like) => $"global::TorchSharp.torch.full_like({like}, {Constant(value)})";

    public string MultiplyAdd(string a, string b, string c) => $"{a} * {b} + {c}";

    /// <summary>The formula runs once per call as a whole: every value is an op of it, none is hoisted.</summary>
    public bool HasCallPrologue => false;
}
