using System.Globalization;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Emit;

/// <summary>C# spellings of numbers and types for one element type.</summary>
internal static class Literals
{
    /// <summary>The integer type of the same width: lane masks and lane indices of <c>Vector&lt;T&gt;</c> use it.</summary>
    public static string LaneIndexKeyword(this ElementType type) => type == ElementType.Float ? "int" : "long";

    /// <summary>The class with Exp, Log and Max for scalars of this type.</summary>
    public static string MathClass(this ElementType type) => type == ElementType.Float ? "MathF" : "Math";

    /// <summary>A round-trip literal, e.g. <c>-1f</c>, <c>0.02d</c>; negative values are parenthesised.</summary>
    public static string Literal(this ElementType type, double value)
    {
        string digits = type == ElementType.Float
            ? ((float)value).ToString("R", CultureInfo.InvariantCulture) + "f"
            : value.ToString("R", CultureInfo.InvariantCulture) + "d";
        return value < 0 ? "(" + digits + ")" : digits;
    }
}
