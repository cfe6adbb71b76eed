using MultiMax.Generator.Diagnostics;
using MultiMax.Generator.Helpers;
using MultiMax.Generator.Model;

namespace MultiMax.Generator;

public sealed partial class NormalizerGenerator
{
    /// <summary>What parsing one declaration gives: a model when it is valid, and its diagnostics either way.</summary>
    internal sealed record ParseResult(NormalizerSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);
}
