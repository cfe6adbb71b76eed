using MultiMax.Generator.Helpers;

namespace MultiMax.Generator.Model;

/// <summary>
/// Everything the emitters need to know about one <c>[Normalizer]</c> declaration, as plain values: no symbols or
/// syntax survive the parse stage, so an unchanged declaration compares equal and its output is reused.
/// </summary>
/// <param name="Namespace">The declaration's namespace (dotted, unescaped), or null for the global namespace.</param>
/// <param name="MethodName">The method's name, unescaped (<c>event</c> for <c>@event</c>).</param>
/// <param name="ContainingTypes">Enclosing types, outermost first.</param>
/// <param name="Modifiers">The declaration's modifiers but <c>partial</c>, e.g. "public static", repeated by the implementation.</param>
/// <param name="Terms">σ's terms in parameter-layout order: Order-implied, then explicit in declaration order.</param>
/// <param name="ScaleIndex">The parameter index of the affine scale, or -1 when not affine (shift follows it).</param>
/// <param name="ParameterCount">The number of learnable parameters: the length of <c>parameters</c>.</param>
/// <param name="BlockedBackends">Optional backends not emitted for this declaration, because a name they need is taken.</param>
/// <param name="DeclaringType">
/// Null for a declaration in this compilation. For one imported with <c>[NormalizersFrom]</c>, the fully qualified type
/// (<c>global::MultiMax.Normalizers</c>) whose span operators the generated classes call; the namespace and containing
/// types above are then those of the importing class, which receives the generated members.
/// </param>
/// <param name="Modulator">σ written as C#, or null when σ is made of <paramref name="Terms"/> (then empty).</param>
/// <param name="IsExtension">Whether x is declared <c>this</c>: an extension method, which the implementation repeats.</param>
internal sealed record NormalizerSpec(
    string? Namespace,
    EquatableArray<ContainingType> ContainingTypes,
    string MethodName,
    string Modifiers,
    ElementType ElementType,
    NormalizerOutputKind Output,
    EquatableArray<ModulatorTerm> Terms,
    int ScaleIndex,
    int ParameterCount,
    SignatureNames Names,
    bool IsExtension,
    EquatableArray<string> BlockedBackends,
    string? DeclaringType = null,
    SigmaModulator? Modulator = null)
{
    public bool IsAffine => ScaleIndex >= 0;

    public int ShiftIndex => IsAffine ? ScaleIndex + 1 : -1;

    public bool HasParameters => ParameterCount > 0;
}
