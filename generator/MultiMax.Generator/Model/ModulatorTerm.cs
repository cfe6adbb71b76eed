namespace MultiMax.Generator.Model;

/// <summary>One term of σ: <c>Coefficient·max(±(x − Threshold), 0)^Power</c>.</summary>
internal sealed record ModulatorTerm(TermSide Side, int Power, TermValue Coefficient, TermValue Threshold)
{
    /// <summary>A constant zero coefficient removes the term from σ and from every derivative.</summary>
    public bool VanishesIdentically => Coefficient.IsConstant(0);
}
