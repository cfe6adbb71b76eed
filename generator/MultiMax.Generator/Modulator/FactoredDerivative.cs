using MultiMax.Generator.Model;

namespace MultiMax.Generator.Modulator;

/// <summary>
/// ∂σ/∂θ as ±<see cref="Factor"/>·<see cref="Summand"/>: the factor a value that does not depend on x (a parameter,
/// a constant or an invariant such as <c>2·a2</c>; null when there is none), the summand the rest. A kernel that sums
/// gσ·∂σ/∂θ over many entries can sum gσ·Summand and scale the total once — Σ gσ·step(b0 − x), times a0 at the end —
/// which saves a multiplication per entry and leaves each sum one fused multiply-add.
/// </summary>
/// <param name="Negated">Whether the total is subtracted (a threshold above: ∂/∂d max(x − d, 0) = −step(x − d)).</param>
internal sealed record FactoredDerivative(bool Negated, SigmaNode? Factor, SigmaNode Summand)
{
    public static FactoredDerivative Of(SigmaNode derivative)
    {
        if (derivative.Kind == SigmaKind.Negate)
        {
            FactoredDerivative positive = Of(derivative[0]);
            return positive with { Negated = !positive.Negated };
        }

        // Products keep what does not depend on x on the left, merged into one operand (SigmaAlgebra.Multiply).
        return !derivative.DependsOnInput ? new(false, derivative, SigmaAlgebra.One)
            : derivative.Kind == SigmaKind.Multiply && !derivative[0].DependsOnInput ? new(false, derivative[0], derivative[1])
            : new(false, null, derivative);
    }
}
