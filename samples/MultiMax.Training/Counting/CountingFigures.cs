using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ScottPlot;

namespace MultiMax.Training.Counting;

/// <summary>The counting demo's figures: loss curves, the learned modulators (the paper's Figure 3), attention histograms (Figure 5).</summary>
public static class CountingFigures
{
    public static IReadOnlyList<string> WriteAll(string folder, CountingResult softMax, CountingResult multiMax)
    {
        Directory.CreateDirectory(folder);
        return new[]
        {
            Plots.LossCurves(Path.Combine(folder, "loss.png"), new[] { softMax, multiMax }.Select(r => (r.Name, r.StepLosses))),
            Plots.Modulators(
                Path.Combine(folder, "modulators.png"), "Learned MultiMax modulators (cf. the paper's Figure 3)", "attention score x",
                multiMax.Modulators.Select((m, layer) => ($"layer {layer + 1}: σ(x)", m.Ts, m.Ranges)), from: -6, to: 6),
            AttentionHistogram(Path.Combine(folder, "attention-histogram.png"), softMax, multiMax),
        };
    }

    /// <summary>
    /// Histograms of the [CLS] query's attention weights, one panel per layer, counts on a log scale (cf. the paper's
    /// Figure 5); within each bin the left bar is SoftMax, the right MultiMax.
    /// </summary>
    private static string AttentionHistogram(string path, params CountingResult[] runs)
    {
        const int Bins = 40;
        double width = 1.0 / Bins;
        Color[] colors = { Colors.SteelBlue, Colors.OrangeRed };
        var panels = new List<Plot>();
        int layers = runs[0].ClsWeights.Length;
        for (int layer = 0; layer < layers; layer++)
        {
            var plot = new Plot();
            for (int r = 0; r < runs.Length; r++)
            {
                var counts = new double[Bins];
                foreach (double w in runs[r].ClsWeights[layer])
                {
                    counts[Math.Min(Bins - 1, (int)(w / width))]++;
                }

                plot.Add.Bars(counts.Select((c, i) => new Bar
                {
                    Position = (i + 0.25 + 0.5 * r) * width,
                    Value = Math.Log10(c + 1),
                    Size = width * 0.5,
                    FillColor = colors[r],
                    LineWidth = 0,
                }).ToList());
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = runs[r].Name, FillColor = colors[r] });
            }

            // Most weights are near 0, so the bars are lowest on the right: the legend goes there.
            plot.Legend.Alignment = Alignment.UpperRight;
            plot.Axes.SetLimitsX(0, 1);
            plot.Title($"Layer {layer + 1}: attention weights of the [CLS] query (cf. the paper's Figure 5)");
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
}
