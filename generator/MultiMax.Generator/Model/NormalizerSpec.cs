using MultiMax.Generator.Helpers;

namespace MultiMax.Generator.Model;

/// <summary>
/// Everything the emitters need to know about one <c>[Normalizer]</c> declaration, as plain values: no symbols or
/// syntax survive the parse stage, so an unchanged declaration compares equal and its output is reused.
/// </summary>
/// <param name="Namespace">The declaration's namespace, or null for the global namespace.</param>
/// <param name="ContainingTypes">Enclosing types, outermost first.</param>
/// <param name="Modifiers">The declaration's modifiers up to and including <c>static</c>, e.g. "public static".</param>
/// <param name="Terms">σ's terms in parameter-layout order: Order-implied, then explicit in declaration order.</param>
/// <param name="ScaleIndex">The parameter index of the affine scale, or -1 when not affine (shift follows it).</param>
/// <param name="ParameterCount">The number of learnable parameters: the length of <c>parameters</c>.</param>
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
    SignatureNames Names)
{
    public bool IsAffine => ScaleIndex >= 0;

    public int ShiftIndex => IsAffine ? ScaleIndex + 1 : -1;

    public bool HasParameters => ParameterCount > 0;
}
