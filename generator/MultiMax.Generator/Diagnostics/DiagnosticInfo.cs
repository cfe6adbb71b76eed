using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using MultiMax.Generator.Helpers;

namespace MultiMax.Generator.Diagnostics;

/// <summary>A diagnostic as plain values (descriptor, location, message arguments), turned back into a
/// <see cref="Diagnostic"/> only when it is reported.</summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> Arguments)
{
    /// <summary>
    /// A sentence appended to the message, saying what else the user will see because of this diagnostic (the
    /// compiler's CS8795 when no implementation is generated); null for none.
    /// </summary>
    public string? Consequence { get; init; }

    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params object[] arguments) =>
        new(descriptor, location, arguments.Select(a => a.ToString() ?? "").ToEquatableArray());

    public Diagnostic ToDiagnostic()
    {
        object[] arguments = Arguments.ToArray<object>();
        if (Consequence is null)
        {
            return Diagnostic.Create(Descriptor, Location?.ToLocation(), arguments);
        }

        // The same id, severity, title and help link as the descriptor; only the message grows by one sentence.
        // Roslyn formats the descriptor's message (and never throws doing so).
        string message = Diagnostic.Create(Descriptor, null, arguments).GetMessage(CultureInfo.InvariantCulture);
        return Diagnostic.Create(
            Descriptor.Id, Descriptor.Category, $"{message}. {Consequence}", Descriptor.DefaultSeverity, Descriptor.DefaultSeverity,
            Descriptor.IsEnabledByDefault, warningLevel: Descriptor.DefaultSeverity == DiagnosticSeverity.Error ? 0 : 1,
            title: Descriptor.Title, description: Descriptor.Description, helpLink: Descriptor.HelpLinkUri,
            location: Location?.ToLocation());
    }
}
