namespace MultiMax.Generator.Modulator;

/// <summary>
/// The gradient of one learnable parameter that σ depends on, as an accumulated sum of gσ·∂σ/∂θ over the entries.
/// An Above threshold's sum is negated once, after the sum (<see cref="ModulatorPrinter.IsSubtracted"/>).
/// </summary>
/// <param name="Name">Its accumulator's stem: <c>A0</c>, <c>B0</c>, … after the symbol, or <c>Scale</c>, <c>Shift</c>.</param>
/// <param name="Term">The term whose coefficient or threshold it is; null for scale and shift, and for σ written as C#.</param>
/// <param name="Derivative">For σ written as C#: ∂σ/∂θ as a tree, which is never identically 0.</param>
internal sealed record ParameterGradient(string Name, int ParameterIndex, TermMath? Term, bool IsThreshold, Model.SigmaNode? Derivative = null)
{
    /// <summary>The conventional accumulator name, <c>grad</c> + <see cref="Name"/>.</summary>
    public string AccumulatorStem => "grad" + Name;
}
