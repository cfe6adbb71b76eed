using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ScottPlot;

namespace MultiMax.Training;

/// <summary>The PNG figures: loss curves, the learned modulators (the paper's Figure 3), attention histograms (Figure 5).</summary>
public static class Figures
{
    public static IReadOnlyList<string> WriteAll(string folder, RunResult softMax, RunResult multiMax)
    {
        Directory.CreateDirectory(folder);
        return new[]
        {
            LossCurves(Path.Combine(folder, "loss.png"), softMax, multiMax),
            Modulators(Path.Combine(folder, "modulators.png"), multiMax),
            AttentionHistogram(Path.Combine(folder, "attention-histogram.png"), softMax, multiMax),
        };
    }

    private static string LossCurves(string path, params RunResult[] runs)
    {
        var plot = new Plot();
        foreach (RunResult run in runs)
        {
            double[] smoothed = MovingAverage(run.StepLosses, 25);
            var line = plot.Add.ScatterLine(Enumerable.Range(1, smoothed.Length).Select(i => (double)i).ToArray(), smoothed);
            line.LegendText = run.Name;
            line.LineWidth = 2;
        }

        return Save(plot, path, "Training loss (moving average of 25 steps)", "step", "cross-entropy", height: 500);
    }

    /// <summary>σ(x) of each layer's learned MultiMax against the identity, over the range attention scores take.</summary>
    private static string Modulators(string path, RunResult multiMax)
    {
        var plot = new Plot();
        double[] xs = Enumerable.Range(0, 241).Select(i => -6 + i * 0.05).ToArray();
        var identity = plot.Add.ScatterLine(xs, xs);
        identity.LegendText = "identity (SoftMax)";
        identity.LinePattern = LinePattern.Dashed;
        identity.Color = Colors.Gray;
        for (int layer = 0; layer < multiMax.Modulators.Count; layer++)
        {
            (double[] ts, double[] ranges) = multiMax.Modulators[layer];
            var line = plot.Add.ScatterLine(xs, xs.Select(x => Sigma(x, ts, ranges)).ToArray());
            line.LegendText = $"layer {layer + 1}: σ(x)";
            line.LineWidth = 2;
        }

        return Save(plot, path, "Learned MultiMax modulators (cf. the paper's Figure 3)", "attention score x", "σ(x)", height: 600);
    }

    /// <summary>Histograms of the [CLS] query's attention weights, counts on a log scale (cf. the paper's Figure 5).</summary>
    private static string AttentionHistogram(string path, params RunResult[] runs)
    {
        const int Bins = 40;
        var plot = new Plot();
        double width = 1.0 / Bins;
        for (int r = 0; r < runs.Length; r++)
        {
            var counts = new double[Bins];
            foreach (double w in runs[r].ClsWeights)
            {
                counts[Math.Min(Bins - 1, (int)(w / width))]++;
            }

            // Side by side within each bin: the left half is the first run, the right half the second.
            var bars = counts.Select((c, i) => new Bar
            {
                Position = (i + 0.25 + 0.5 * r) * width,
                Value = Math.Log10(c + 1),
                Size = width * 0.5,
                FillColor = r == 0 ? Colors.SteelBlue : Colors.OrangeRed,
                LineWidth = 0,
            }).ToList();
            plot.Add.Bars(bars);
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = runs[r].Name, FillColor = r == 0 ? Colors.SteelBlue : Colors.OrangeRed });
        }

        return Save(plot, path, "Attention weights of the [CLS] query, all layers (cf. the paper's Figure 5)", "attention weight", "log10(count + 1)", height: 500);
    }

    private static string Save(Plot plot, string path, string title, string xLabel, string yLabel, int height)
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
