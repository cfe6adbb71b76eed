using System.Collections.Generic;
using Spectre.Console;

namespace MultiMax.Training;

/// <summary>Prints learned order-2 modulators as a table, with the formula that says what the numbers are.</summary>
public static class Modulators
{
    public static void Write(IEnumerable<(string Layer, double[] Ts, double[] Ranges)> modulators)
    {
        var table = new Table().AddColumns("MultiMax", "ts (coefficients)", "ranges r (thresholds)");
        foreach ((string layer, double[] ts, double[] ranges) in modulators)
        {
            table.AddRow(Markup.Escape(layer), Text.Numbers(ts, "0.000", " "), Text.Numbers(ranges, "0.000", " "));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("[grey]σ(x) = x + ts₀·relu(r₀−x) + ts₁·relu(x−r₁) + ts₂·relu(r₂−x)² + ts₃·relu(x−r₃)²[/]");
    }
}
