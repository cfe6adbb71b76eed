using System.Linq;
using MultiMax.Generator.Helpers;

namespace MultiMax.Generator.Model;

/// <summary>A type that encloses the declaration, re-declared as <c>partial</c> in the generated file.</summary>
/// <param name="Keyword">"class", "struct", "record", "record struct" or "interface".</param>
/// <param name="Name">The type's name, unescaped.</param>
/// <param name="TypeParameters">Its type parameters, unescaped, each with its variance (<c>in T</c>); no attributes.</param>
internal sealed record ContainingType(string Keyword, string Name, EquatableArray<string> TypeParameters)
{
    /// <summary>The name as people read it, e.g. <c>Ops&lt;T&gt;</c>.</summary>
    public string DisplayName => TypeParameters.IsEmpty ? Name : $"{Name}<{string.Join(", ", TypeParameters.Select(p => p.Split(' ').Last()))}>";
}
