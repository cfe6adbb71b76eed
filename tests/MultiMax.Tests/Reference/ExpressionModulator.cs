using System;

namespace MultiMax.Tests.Reference;

/// <summary>
/// A modulator written as C# (<c>[Normalizer(Modulator = …)]</c>) as the reference knows it: σ, σ′ and ∂σ/∂θ written
/// and differentiated by hand (ExpressionModulators.cs), independently of the generator's parse and symbolic derivatives.
/// </summary>
/// <param name="Sigma">σ(x, θ).</param>
/// <param name="ByInput">dσ/dx(x, θ).</param>
/// <param name="ByParameters">∂σ/∂θ_k(x, θ) for every k, in the layout's order.</param>
/// <param name="Initial">The defaults the method declares.</param>
public sealed record ExpressionModulator(
    string Name,
    Func<double, double[], double> Sigma,
    Func<double, double[], double> ByInput,
    Func<double, double[], double[]> ByParameters,
    double[] Initial)
{
    public override string ToString() => Name;
}
