using MultiMax.Generator.Diagnostics;
using MultiMax.Generator.Helpers;
using MultiMax.Generator.Model;

namespace MultiMax.Generator;

public sealed partial class NormalizerGenerator
{
    /// <summary>What parsing one declaration gives: a model when it is valid, and its diagnostics either way.</summary>
    /// <param name="BackendDiagnostics">
    /// Problems that matter only where an optional backend is emitted (a user member named like its generated class):
    /// reported by that backend's wiring, which also leaves the backend out for this normalizer.
    /// </param>
    internal sealed record ParseResult(
        NormalizerSpec? Spec,
        EquatableArray<DiagnosticInfo> Diagnostics,
        EquatableArray<BackendDiagnostic> BackendDiagnostics)
    {
        public static ParseResult Nothing { get; } = new(null, EquatableArray<DiagnosticInfo>.Empty, EquatableArray<BackendDiagnostic>.Empty);
    }

    /// <summary>A diagnostic reported only when <paramref name="Backend"/> (<see cref="Backends"/>) is emitted.</summary>
    internal sealed record BackendDiagnostic(string Backend, DiagnosticInfo Diagnostic);

    /// <summary>The optional backends, by the name their hint names and <see cref="NormalizerSpec.BlockedBackends"/> use.</summary>
    internal static class Backends
    {
        public const string Torch = nameof(Torch);
        public const string Gpu = nameof(Gpu);
    }
}
