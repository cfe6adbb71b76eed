using System;
using System.Collections.Generic;
using System.Linq;
using ScottPlot;

namespace MultiMax.Training;

/// <summary>The figures both demos draw: training-loss curves and learned order-2 modulators.</summary>
public static class Plots
{
    /// <summary>
    /// Each run's training loss per step, as a moving average of <paramref name="window"/> steps; on a logarithmic axis
    /// when the losses fall by a decade or more, so that final losses near 0 can still be told apart.
    /// </summary>
    public static string LossCurves(string path, IEnumerable<(string Name, IReadOnlyList<float> StepLosses)> runs, int window = 25)
    {
        var plot = new Plot();
        var curves = runs.Select(r => (r.Name, Smoothed: MovingAverage(r.StepLosses, window))).ToList();
        double lowest = curves.Min(c => c.Smoothed.Min()), highest = curves.Max(c => c.Smoothed.Max());
        bool logarithmic = lowest > 0 && highest / lowest >= 10;
        foreach ((string name, double[] smoothed) in curves)
        {
            double[] ys = logarithmic ? smoothed.Select(Math.Log10).ToArray() : smoothed;
            var line = plot.Add.ScatterLine(Enumerable.Range(1, smoothed.Length).Select(i => (double)i).ToArray(), ys);
            line.LegendText = name;
            line.LineWidth = 2;
        }

        if (logarithmic)
        {
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true,
                LabelFormatter = y => Text.Number(Math.Pow(10, y), "0.###"),
            };
        }

        // The curves fall from the upper left: the upper right is where the legend hides nothing.
        plot.Legend.Alignment = Alignment.UpperRight;
        string scale = logarithmic ? ", log scale" : "";
        return Save(plot, path, $"Training loss (moving average of {window} steps)", "step", $"cross-entropy{scale}", height: 500);
    }

    /// <summary>Learned σ(x) of order-2 MultiMax layers (the reference code's ts and ranges) against the identity, cf. the paper's Figure 3.</summary>
    public static string Modulators(
        string path, string title, string xLabel, IEnumerable<(string Label, double[] Ts, double[] Ranges)> modulators, double from, double to)
    {
        var plot = new Plot();
        double[] xs = Enumerable.Range(0, 241).Select(i => from + i * (to - from) / 240).ToArray();
        var identity = plot.Add.ScatterLine(xs, xs);
        identity.LegendText = "identity (SoftMax)";
        identity.LinePattern = LinePattern.Dashed;
        identity.Color = Colors.Gray;
        foreach ((string label, double[] ts, double[] ranges) in modulators)
        {
            var line = plot.Add.ScatterLine(xs, xs.Select(x => Sigma(x, ts, ranges)).ToArray());
            line.LegendText = label;
            line.LineWidth = 2;
        }

        return Save(plot, path, title, xLabel, "σ(x)", height: 600);
    }

    /// <summary>
    /// Histograms of attention weights, one panel per layer, counts on a log scale (cf. the paper's Figure 5); within
    /// each bin the runs' bars stand side by side, in the order given.
    /// </summary>
    /// <param name="what">What the weights are, for the panel titles (e.g. "attention weights of the [CLS] query").</param>
    /// <param name="runs">Each run's name and, per layer, its weights.</param>
    public static string AttentionHistograms(string path, string what, params (string Name, double[][] Layers)[] runs)
    {
        const int Bins = 40;
        double width = 1.0 / Bins, bar = 1.0 / runs.Length;
        Color[] colors = { Colors.SteelBlue, Colors.OrangeRed, Colors.SeaGreen, Colors.Purple };
        var panels = new List<Plot>();
        int layers = runs[0].Layers.Length;
        for (int layer = 0; layer < layers; layer++)
        {
            var plot = new Plot();
            for (int r = 0; r < runs.Length; r++)
            {
                var counts = new double[Bins];
                foreach (double w in runs[r].Layers[layer])
                {
                    counts[Math.Clamp((int)(w / width), 0, Bins - 1)]++;
                }

                plot.Add.Bars(counts.Select((c, i) => new Bar
                {
                    Position = (i + bar * (r + 0.5)) * width,
                    Value = Math.Log10(c + 1),
                    Size = width * bar,
                    FillColor = colors[r % colors.Length],
                    LineWidth = 0,
                }).ToList());
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = runs[r].Name, FillColor = colors[r % colors.Length] });
            }

            // Most weights are near 0, so the bars are lowest on the right: the legend goes there.
            plot.Legend.Alignment = Alignment.UpperRight;
            plot.Axes.SetLimitsX(0, 1);
            plot.Title($"Layer {layer + 1}: {what} (cf. the paper's Figure 5)");
            plot.XLabel("attention weight");
            plot.YLabel("log10(count + 1)");
            plot.ShowLegend();
            panels.Add(plot);
        }

        // A Multiplot starts with the panel it is given: the first layer's.
        var figure = new Multiplot(panels[0]);
        foreach (Plot panel in panels.Skip(1))
        {
            figure.AddPlot(panel);
        }

        figure.SavePng(path, 900, 380 * layers);
        return path;
    }

    public static string Save(Plot plot, string path, string title, string xLabel, string yLabel, int height)
    {
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend();
        plot.SavePng(path, 900, height);
        return path;
    }

    /// <summary>The paper's order-2 σ with the reference code's ts and ranges.</summary>
    private static double Sigma(double x, double[] ts, double[] ranges) =>
        x + ts[0] * Math.Max(ranges[0] - x, 0) + ts[1] * Math.Max(x - ranges[1], 0)
          + ts[2] * Math.Pow(Math.Max(ranges[2] - x, 0), 2) + ts[3] * Math.Pow(Math.Max(x - ranges[3], 0), 2);

    private static double[] MovingAverage(IReadOnlyList<float> values, int window)
    {
        var result = new double[values.Count];
        double sum = 0;
        for (int i = 0; i < values.Count; i++)
        {
            sum += values[i];
            if (i >= window)
            {
                sum -= values[i - window];
            }

            result[i] = sum / Math.Min(i + 1, window);
        }

        return result;
    }
}
