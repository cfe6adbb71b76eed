using System;

namespace MultiMax;

/// <summary>
/// Adds the modulator term <c>a·max(b − x, 0)^power</c>, which reshapes σ below the threshold <c>b</c>
/// (a positive <c>a</c> steepens σ there, suppressing small entries).
/// </summary>
/// <remarks>
/// <see cref="Coefficient"/> (<c>a</c>) and <see cref="Threshold"/> (<c>b</c>) are compile-time constants when set
/// and learnable parameters when omitted. Terms apply in declaration order, after those implied by
/// <see cref="NormalizerAttribute.Order"/>.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
public sealed class BelowAttribute : Attribute
{
    /// <summary>Creates the term <c>a·max(b − x, 0)^power</c>.</summary>
    /// <param name="power">The exponent, from 1 to 8.</param>
    public BelowAttribute(int power = 1) => Power = power;

    /// <summary>The exponent of the term.</summary>
    public int Power { get; }

    /// <summary>The coefficient <c>a</c>: a constant when given, learnable when omitted.</summary>
    public double Coefficient { get; set; }

    /// <summary>The threshold <c>b</c>: a constant when given, learnable when omitted.</summary>
    public double Threshold { get; set; }
}
