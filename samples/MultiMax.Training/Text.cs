using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace MultiMax.Training;

/// <summary>How both demos write numbers: culture-invariant, so that results.md reads the same everywhere.</summary>
public static class Text
{
    public static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    public static string Numbers(IEnumerable<double> values, string format, string separator = ", ") =>
        string.Join(separator, values.Select(v => Number(v, format)));

    /// <summary>"1 epoch", "10 epochs".</summary>
    public static string Count(int count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";
}
