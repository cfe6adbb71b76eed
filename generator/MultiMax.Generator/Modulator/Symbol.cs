namespace MultiMax.Generator.Modulator;

/// <summary>What a <see cref="Symbol"/> stands for.</summary>
internal enum SymbolKind
{
    /// <summary>A constant, folded into the code as a literal.</summary>
    Constant,

    /// <summary>A learnable parameter, read once from <c>parameters[ParameterIndex]</c>.</summary>
    Parameter,

    /// <summary>A value that does not depend on x, computed once per call (<see cref="SigmaInvariants"/>).</summary>
    Invariant,
}

/// <summary>
/// A value a kernel computes once per call: a learnable parameter (<c>a0</c>, <c>b0</c>, <c>scale</c>, <c>θ0_cap</c>) or
/// an invariant (<c>inv0</c>). A dialect decides how to spell it: a literal for a constant, a local (broadcast or not) or
/// <c>parameters[k]</c> for the others.
/// </summary>
/// <param name="Name">The name of the local that holds it.</param>
/// <param name="Value">A constant's value.</param>
/// <param name="ParameterIndex">The parameter's index in the layout, or -1.</param>
/// <param name="Definition">For <see cref="SymbolKind.Invariant"/>: the subtree it stands for.</param>
internal sealed record Symbol(string Name, SymbolKind Kind, double Value, int ParameterIndex, Model.SigmaNode? Definition = null)
{
    public static Symbol Constant(string name, double value) => new(name, SymbolKind.Constant, value, -1);

    public static Symbol Parameter(string name, int index) => new(name, SymbolKind.Parameter, double.NaN, index);

    public static Symbol Invariant(string name, Model.SigmaNode definition) => new(name, SymbolKind.Invariant, double.NaN, -1, definition);

    public bool IsConstant => Kind == SymbolKind.Constant;
}
