namespace MultiMax.Generator.Model;

/// <summary>A type that encloses the declaration, re-declared as <c>partial</c> in the generated file.</summary>
/// <param name="Keyword">"class", "struct", "record", "record struct" or "interface".</param>
/// <param name="Name">The name with its type parameter list, e.g. <c>Ops&lt;T&gt;</c>.</param>
internal sealed record ContainingType(string Keyword, string Name);
