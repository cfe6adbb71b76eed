namespace MultiMax.Generator.Model;

/// <summary>The floating-point type a normalizer works on.</summary>
internal enum ElementType
{
    Float,
    Double,
}

internal static class ElementTypeExtensions
{
    /// <summary>The C# keyword: <c>float</c> or <c>double</c>.</summary>
    public static string Keyword(this ElementType type) => type == ElementType.Float ? "float" : "double";
}
