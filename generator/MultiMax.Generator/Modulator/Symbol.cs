namespace MultiMax.Generator.Modulator;

/// <summary>What a <see cref="Symbol"/> stands for.</summary>
internal enum SymbolKind
{
    /// <summary>A constant of the declaration, folded into the code as a literal.</summary>
    Constant,

    /// <summary>A learnable parameter, read once from <c>parameters[ParameterIndex]</c>.</summary>
    Parameter,

    /// <summary>A term's slope coefficient·power with a learnable coefficient, computed once from it.</summary>
    Slope,

    /// <summary>A subtree of σ written as C# that does not depend on x, computed once per call (<see cref="SigmaInvariants"/>).</summary>
    Invariant,
}

/// <summary>
/// A named value of σ's mathematics: term k's coefficient <c>a{k}</c>/<c>c{k}</c>, threshold <c>b{k}</c>/<c>d{k}</c>,
/// slope <c>a{k}p</c>/<c>c{k}p</c>, or the affine <c>scale</c> and <c>shift</c>. A dialect decides how to spell it: a
/// literal for a constant, a local (broadcast or not) or <c>parameters[k]</c> for the others.
/// </summary>
/// <param name="Name">The name of the local that holds it, where one does.</param>
/// <param name="Value">The constant's value (for a slope with a constant coefficient, coefficient·power).</param>
/// <param name="ParameterIndex">The parameter's index in the layout, or -1.</param>
/// <param name="Coefficient">For <see cref="SymbolKind.Slope"/>: the learnable coefficient it multiplies.</param>
/// <param name="Power">For <see cref="SymbolKind.Slope"/>: the term's power.</param>
/// <param name="Definition">For <see cref="SymbolKind.Invariant"/>: the subtree it stands for.</param>
internal sealed record Symbol(
    string Name, SymbolKind Kind, double Value, int ParameterIndex, Symbol? Coefficient = null, int Power = 0, Model.SigmaNode? Definition = null)
{
    public static Symbol Invariant(string name, Model.SigmaNode definition) => new(name, SymbolKind.Invariant, double.NaN, -1, Definition: definition);

    public static Symbol Constant(string name, double value) => new(name, SymbolKind.Constant, value, -1);

    public static Symbol Parameter(string name, int index) => new(name, SymbolKind.Parameter, double.NaN, index);

    public bool IsConstant => Kind == SymbolKind.Constant;

    public bool IsConstantValue(double value) => IsConstant && Value.Equals(value);
}
