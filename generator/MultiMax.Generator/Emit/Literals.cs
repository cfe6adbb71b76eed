using System.Globalization;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Emit;

/// <summary>The one place numbers and numeric types are spelled: as C# for code, and as text for comments.</summary>
internal static class Literals
{
    /// <summary>The integer type of the same width: lane masks and lane indices of <c>Vector&lt;T&gt;</c> use it.</summary>
    public static string LaneIndexKeyword(this ElementType type) => type == ElementType.Float ? "int" : "long";

    /// <summary>The class with Exp, Log and FusedMultiplyAdd for scalars of this type.</summary>
    public static string MathClass(this ElementType type) => type == ElementType.Float ? "MathF" : "Math";

    /// <summary>
    /// A round-trip C# literal of the element type, e.g. <c>-1f</c>, <c>0.02d</c>. A value outside the type's range is
    /// the infinity it rounds to, spelled as one (<c>float.PositiveInfinity</c>): there is no infinite literal.
    /// </summary>
    public static string Literal(this ElementType type, double value)
    {
        string keyword = type.Keyword();
        if (type == ElementType.Float)
        {
            float single = (float)value;
            return float.IsNaN(single) ? "float.NaN"
                : float.IsPositiveInfinity(single) ? "float.PositiveInfinity"
                : float.IsNegativeInfinity(single) ? "float.NegativeInfinity"
                : RoundTrip(single) + "f";
        }

        return double.IsNaN(value) ? $"{keyword}.NaN"
            : double.IsPositiveInfinity(value) ? $"{keyword}.PositiveInfinity"
            : double.IsNegativeInfinity(value) ? $"{keyword}.NegativeInfinity"
            : RoundTrip(value) + "d";
    }

    /// <summary>
    /// The shortest digits that parse back to <paramref name="value"/>. "R" gives them on .NET Core, but the generator
    /// also runs on .NET Framework (Visual Studio, full MSBuild), where "R" misses for some values: checked, and 17
    /// significant digits where it does.
    /// </summary>
    private static string RoundTrip(double value)
    {
        string digits = value.ToString("R", CultureInfo.InvariantCulture);
        return double.Parse(digits, CultureInfo.InvariantCulture) == value ? digits : value.ToString("G17", CultureInfo.InvariantCulture);
    }

    /// <inheritdoc cref="RoundTrip(double)"/>
    private static string RoundTrip(float value)
    {
        string digits = value.ToString("R", CultureInfo.InvariantCulture);
        return float.Parse(digits, CultureInfo.InvariantCulture) == value ? digits : value.ToString("G9", CultureInfo.InvariantCulture);
    }

    /// <summary>A number for a comment or a formula: round-trip digits with a typographic minus, e.g. <c>−0.5</c>.</summary>
    public static string Display(double value) =>
        value.ToString("R", CultureInfo.InvariantCulture).Replace('-', '−');
}
