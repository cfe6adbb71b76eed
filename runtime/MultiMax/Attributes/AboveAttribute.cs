using System;

namespace MultiMax;

/// <summary>
/// Adds the modulator term <c>c·max(x − d, 0)^power</c>, which reshapes σ above the threshold <c>d</c>
/// (a negative <c>c</c> flattens σ there, so that several large entries keep their mass).
/// </summary>
/// <remarks>
/// <see cref="Coefficient"/> (<c>c</c>) and <see cref="Threshold"/> (<c>d</c>) are compile-time constants when set
/// and learnable parameters when omitted. Terms apply in declaration order, after those implied by
/// <see cref="NormalizerAttribute.Order"/>.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
public sealed class AboveAttribute : Attribute
{
    /// <summary>Creates the term <c>c·max(x − d, 0)^power</c>.</summary>
    /// <param name="power">The exponent, from 1 to 8.</param>
    public AboveAttribute(int power = 1) => Power = power;

    /// <summary>The exponent of the term.</summary>
    public int Power { get; }

    /// <summary>The coefficient <c>c</c>: a constant when given, learnable when omitted.</summary>
    public double Coefficient { get; set; }

    /// <summary>The threshold <c>d</c>: a constant when given, learnable when omitted.</summary>
    public double Threshold { get; set; }
}
