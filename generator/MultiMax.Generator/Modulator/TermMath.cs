using MultiMax.Generator.Model;

namespace MultiMax.Generator.Modulator;

/// <summary>
/// One term of σ that is not identically zero, as the printers need it: <c>Coefficient·r^Power</c> with the clipped
/// distance <c>r = max(Threshold − u, 0)</c> (Below) or <c>max(u − Threshold, 0)</c> (Above).
/// </summary>
/// <param name="Index">The term's position in the declaration (and in its symbols' names).</param>
/// <param name="Slope">Coefficient·power, the factor of σ′: a constant when the coefficient is one.</param>
internal sealed record TermMath(int Index, TermSide Side, int Power, Symbol Coefficient, Symbol Threshold, Symbol Slope)
{
    /// <summary>The local holding this term's clipped distance.</summary>
    public Local Distance => new("r" + Index);

    /// <summary>σ′ subtracts the slope below the threshold and adds it above: <c>d/du max(b − u, 0) = −1</c>.</summary>
    public bool SlopeIsSubtracted => Side == TermSide.Below;
}
