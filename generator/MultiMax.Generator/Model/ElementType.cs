namespace MultiMax.Generator.Model;

/// <summary>The floating-point type a normalizer works on.</summary>
internal enum ElementType
{
    Float,
    Double,
}
