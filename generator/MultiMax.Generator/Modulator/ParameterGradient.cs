using MultiMax.Generator.Model;

namespace MultiMax.Generator.Modulator;

/// <summary>The gradient of one learnable parameter that σ depends on, as an accumulated sum of gσ·∂σ/∂θ over the entries.</summary>
/// <param name="Name">Its accumulator's stem: <c>A0</c>, <c>B0</c>, … after the symbol, <c>Scale</c>, <c>Shift</c>, or <c>θ0_cap</c>.</param>
/// <param name="Derivative">∂σ/∂θ as a tree, which is never identically 0.</param>
internal sealed record ParameterGradient(string Name, int ParameterIndex, SigmaNode Derivative)
{
    /// <summary>The conventional accumulator name, <c>grad</c> + <see cref="Name"/>.</summary>
    public string AccumulatorStem => "grad" + Name;
}
