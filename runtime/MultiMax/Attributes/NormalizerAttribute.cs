using System;

namespace MultiMax;

/// <summary>
/// Marks a <c>static partial void</c> method as a row-wise normalizer <c>SoftMax(σ(x))</c> whose implementation
/// MultiMax generates at build time, together with its backward pass <c>&lt;Name&gt;Backward</c>.
/// </summary>
/// <remarks>
/// <para>
/// The modulator is <c>σ(x) = x + Σ term(x)</c>. <see cref="Order"/> adds the paper's learnable terms; each
/// <see cref="BelowAttribute"/> and <see cref="AboveAttribute"/> on the same method adds one more, with constant or
/// learnable coefficient and threshold. Without any term the method is a plain SoftMax. Alternatively
/// <see cref="Modulator"/> names a method whose C# expression is σ.
/// </para>
/// <para>
/// The declaration must be <c>void Name(ReadOnlySpan&lt;T&gt; x, Span&lt;T&gt; y, int rowLength)</c>, with a
/// trailing <c>ReadOnlySpan&lt;T&gt; parameters</c> exactly when a term is learnable, where <c>T</c> is
/// <see cref="float"/> or <see cref="double"/>. The parameter layout is the coefficients of the learnable terms in
/// term order, then their thresholds in term order, then <c>scale, shift</c> when <see cref="Affine"/> is set.
/// </para>
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class NormalizerAttribute : Attribute
{
    /// <summary>
    /// The order <c>N</c> of the paper's modulator: for every <c>n = 1..N</c>, one learnable
    /// <c>Below(n)</c> and one learnable <c>Above(n)</c> term, in that order. 0 (the default) adds none;
    /// 2 is the paper's MultiMax. At most 8.
    /// </summary>
    public int Order { get; set; }

    /// <summary>
    /// Applies the learnable affine map <c>x' = scale·x + shift</c> before σ (the authors' "V2");
    /// <c>scale</c> and <c>shift</c> are the last two parameters.
    /// </summary>
    public bool Affine { get; set; }

    /// <summary>Whether rows are written as probabilities (the default) or log-probabilities.</summary>
    public NormalizerOutput Output { get; set; }

    /// <summary>
    /// The name of a static method of the same class whose expression is σ, instead of terms:
    /// <c>static double M(double x, double p1 = init1, …)</c>, every parameter after <c>x</c> learnable and initialised
    /// to its default. MultiMax reads the expression at build time, differentiates it, and prints σ, σ′ and ∂σ/∂θ into
    /// every kernel. It may use <c>x</c>, the parameters, numeric literals and <c>const</c> fields, <c>+ − * /</c>,
    /// <c>Math.Exp/Log/Tanh/Sqrt/Abs/Max/Min</c>, <c>Math.Pow(e, n)</c> with an integer literal <c>n</c>, and
    /// <c>c ? a : b</c> with a comparison. Not combined with <see cref="Order"/>, <see cref="Affine"/> or terms.
    /// </summary>
    /// <example><c>[Normalizer(Modulator = nameof(SoftCap))]</c> with <c>static double SoftCap(double x, double cap = 30) => cap * Math.Tanh(x / cap);</c></example>
    public string? Modulator { get; set; }
}
