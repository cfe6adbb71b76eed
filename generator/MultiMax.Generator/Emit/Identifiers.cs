using System.Linq;
using Microsoft.CodeAnalysis.CSharp;

namespace MultiMax.Generator.Emit;

/// <summary>Names as the model keeps them (the identifiers' values) turned back into C# the compiler accepts.</summary>
internal static class Identifiers
{
    /// <summary>
    /// <c>@</c> before a keyword, reserved or contextual: a method <c>@event</c> or a parameter <c>@in</c> keeps the
    /// escape it needed in the declaration. <c>@</c> is valid before any identifier, so contextual keywords are
    /// escaped too rather than reasoned about position by position.
    /// </summary>
    public static string Escape(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None
            ? "@" + name
            : name;

    /// <summary>A dotted namespace with every part escaped, e.g. <c>Demo.@class</c>.</summary>
    public static string EscapeNamespace(string name) => string.Join(".", name.Split('.').Select(Escape));
}
