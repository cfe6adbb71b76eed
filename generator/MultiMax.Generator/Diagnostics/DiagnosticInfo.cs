using System.Linq;
using Microsoft.CodeAnalysis;
using MultiMax.Generator.Helpers;

namespace MultiMax.Generator.Diagnostics;

/// <summary>A diagnostic as plain values (descriptor, location, message arguments), turned back into a
/// <see cref="Diagnostic"/> only when it is reported.</summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params object[] arguments) =>
        new(descriptor, location, arguments.Select(a => a.ToString() ?? "").ToEquatableArray());

    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(Descriptor, Location?.ToLocation(), Arguments.ToArray<object>());
}
