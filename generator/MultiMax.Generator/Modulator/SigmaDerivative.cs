using System.Collections.Generic;
using MultiMax.Generator.Model;
using static MultiMax.Generator.Modulator.SigmaAlgebra;

namespace MultiMax.Generator.Modulator;

/// <summary>
/// Symbolic differentiation of σ's tree with respect to x or one learnable parameter, by the chain rule, simplified by
/// <see cref="SigmaAlgebra"/> as it is built. Subtrees of σ reappear in the derivative as the same values
/// (<c>tanh(u)</c> in <c>1 − tanh(u)²</c>), so the printed code computes them once.
/// </summary>
/// <remarks>
/// At a kink the derivative is the one autograd gives for the torch ops σ is printed as (<see cref="Dialects.TorchDialect"/>):
/// <c>abs</c> has slope 0 at 0 (<c>sgn</c>), <c>maximum</c>/<c>minimum</c> split a tie half and half, and <c>where</c>
/// passes the derivative of the branch it selects. A branch not selected contributes nothing, even where its own
/// derivative is infinite (autograd would give NaN there, 0·∞).
/// </remarks>
internal sealed class SigmaDerivative
{
    private readonly SigmaNode variable;
    private readonly Dictionary<SigmaNode, SigmaNode> derivatives = new();

    private SigmaDerivative(SigmaNode variable) => this.variable = variable;

    /// <summary>dσ/dx.</summary>
    public static SigmaNode ByInput(SigmaNode sigma) => new SigmaDerivative(X).Of(sigma);

    /// <summary>
    /// ∂σ/∂u for a subtree u of σ taken as the variable, where x appears only inside u: the factor the chain rule shares
    /// (terms with <c>Affine</c>: σ′ = ∂σ/∂x'·scale, ∂σ/∂scale = ∂σ/∂x'·x, ∂σ/∂shift = ∂σ/∂x').
    /// </summary>
    public static SigmaNode ByIntermediate(SigmaNode sigma, SigmaNode intermediate) => new SigmaDerivative(intermediate).Of(sigma);

    /// <summary>∂σ/∂θ for the parameter node <paramref name="parameter"/> (matched by its layout index).</summary>
    public static SigmaNode ByParameter(SigmaNode sigma, SigmaNode parameter) => new SigmaDerivative(parameter).Of(sigma);

    private SigmaNode Of(SigmaNode node)
    {
        if (derivatives.TryGetValue(node, out SigmaNode? known))
        {
            return known;
        }

        SigmaNode derivative = variable.IsOperation && node.Equals(variable) ? One : Rule(node);
        derivatives[node] = derivative;
        return derivative;
    }

    private SigmaNode Rule(SigmaNode e)
    {
        switch (e.Kind)
        {
            case SigmaKind.Input:
            case SigmaKind.Parameter:
                return e.Kind == variable.Kind && e.Index == variable.Index ? One : Zero;
            case SigmaKind.Constant:
                return Zero;
            case SigmaKind.Add:
                return Add(Of(e[0]), Of(e[1]));
            case SigmaKind.Subtract:
                return Subtract(Of(e[0]), Of(e[1]));
            case SigmaKind.Negate:
                return Negate(Of(e[0]));
            case SigmaKind.Multiply:
                return Add(Multiply(Of(e[0]), e[1]), Multiply(e[0], Of(e[1])));
            case SigmaKind.Divide:
            {
                // (a/b)′ = (a′ − (a/b)·b′)/b: reuses the quotient σ computed.
                SigmaNode db = Of(e[1]);
                return Divide(Subtract(Of(e[0]), Multiply(e, db)), e[1]);
            }

            case SigmaKind.Exp:
                return Multiply(e, Of(e[0]));
            case SigmaKind.Log:
                return Divide(Of(e[0]), e[0]);
            case SigmaKind.Tanh:
                return Multiply(Subtract(One, Power(e, 2)), Of(e[0]));
            case SigmaKind.Sqrt:
                return Divide(Of(e[0]), Multiply(Constant(2), e));
            case SigmaKind.Abs:
            {
                // sgn(u)·u′: 0 at the kink, as torch's abs.
                SigmaNode du = Of(e[0]);
                return Select(SigmaComparison.Greater, e[0], Zero, du, Select(SigmaComparison.Less, e[0], Zero, Negate(du), Zero));
            }

            case SigmaKind.Max:
            case SigmaKind.Min:
            {
                // The larger (smaller) operand's derivative; at a tie the mean of both, as torch's maximum (minimum).
                SigmaNode da = Of(e[0]), db = Of(e[1]);
                SigmaComparison first = e.Kind == SigmaKind.Max ? SigmaComparison.Greater : SigmaComparison.Less;
                SigmaComparison second = e.Kind == SigmaKind.Max ? SigmaComparison.Less : SigmaComparison.Greater;
                return Select(first, e[0], e[1], da, Select(second, e[0], e[1], db, Multiply(Constant(0.5), Add(da, db))));
            }

            case SigmaKind.Relu:
                // The step as a number, 1 where the operand is positive and 0 at the kink (torch's relu): a product with
                // it keeps a NaN derivative NaN, where a select would drop it.
                return Multiply(Select(SigmaComparison.Greater, e[0], Zero, One, Zero), Of(e[0]));
            case SigmaKind.Power when e[0].Kind == SigmaKind.Relu && e.Index >= 2:
                // max(u, 0)^n: n·max(u, 0)^(n−1)·u′, the step already 0 wherever the power is.
                return Multiply(Multiply(Constant(e.Index), Power(e[0], e.Index - 1)), Of(e[0][0]));
            case SigmaKind.Power:
                return Multiply(Multiply(Constant(e.Index), Power(e[0], e.Index - 1)), Of(e[0]));
            case SigmaKind.Select:
                return Select(e.Comparison, e[0], e[1], Of(e[2]), Of(e[3]));
            default:
                throw new System.ArgumentOutOfRangeException(nameof(e), e.Kind, null);
        }
    }
}
