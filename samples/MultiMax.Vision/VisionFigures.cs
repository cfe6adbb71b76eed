using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MultiMax.Training;
using MultiMax.Vision.Data;
using ScottPlot;
using static TorchSharp.torch;

namespace MultiMax.Vision;

/// <summary>The vision demo's figures: accuracy per epoch, where the [CLS] query looks, the learned σ, attention histograms.</summary>
public static class VisionFigures
{
    public static IReadOnlyList<string> WriteAll(string folder, ImageSet test, VisionResult[] softMax, VisionResult[] multiMax)
    {
        Directory.CreateDirectory(folder);
        return new[]
        {
            Accuracy(Path.Combine(folder, "accuracy.png"), softMax, multiMax),
            AttentionMaps(Path.Combine(folder, "attention-maps.png"), test, softMax[0], multiMax[0]),
            Plots.Modulators(
                Path.Combine(folder, "modulators.png"), $"Learned MultiMax modulators per layer (seed {multiMax[0].Seed})", "attention score x",
                multiMax[0].Modulators.Select((m, layer) => ($"layer {layer + 1}: σ(x)", m.Ts, m.Ranges)), from: -6, to: 6),
            Plots.AttentionHistograms(
                Path.Combine(folder, "attention-histogram.png"), $"[CLS] attention on the patches (seed {softMax[0].Seed})",
                (softMax[0].Name, softMax[0].ClsWeights), (multiMax[0].Name, multiMax[0].ClsWeights)),
        };
    }

    /// <summary>Test accuracy after each epoch: every seed thin, the mean over seeds thick.</summary>
    private static string Accuracy(string path, params VisionResult[][] runs)
    {
        var plot = new Plot();
        Color[] colors = { Colors.SteelBlue, Colors.OrangeRed };
        for (int r = 0; r < runs.Length; r++)
        {
            int epochs = runs[r][0].EpochAccuracy.Length;
            double[] xs = Enumerable.Range(1, epochs).Select(e => (double)e).ToArray();
            foreach (VisionResult seed in runs[r])
            {
                var line = plot.Add.ScatterLine(xs, seed.EpochAccuracy.Select(a => 100 * a).ToArray());
                line.Color = colors[r].WithAlpha(0.35);
                line.LineWidth = 1;
            }

            var mean = plot.Add.Scatter(xs, xs.Select((_, e) => 100 * runs[r].Average(s => s.EpochAccuracy[e])).ToArray());
            mean.Color = colors[r];
            mean.LineWidth = 3;
            mean.MarkerSize = 8;
            mean.LegendText = $"{runs[r][0].Name} (mean of {Text.Count(runs[r].Length, "seed")})";
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        // Accuracy rises from the lower left: the lower right is where the legend hides nothing.
        plot.Legend.Alignment = Alignment.LowerRight;
        return Plots.Save(plot, path, "Fashion-MNIST test accuracy after each epoch", "epoch", "test accuracy (%)", height: 500);
    }

    /// <summary>
    /// The paper's qualitative figure: test images (top row) and the last layer's [CLS] attention on each patch, mean
    /// over heads, for SoftMax (middle) and MultiMax (bottom). Each column shares one colour scale, from 0 to the
    /// larger of its two maxima, so that the two maps of an image compare directly.
    /// </summary>
    private static string AttentionMaps(string path, ImageSet test, VisionResult softMax, VisionResult multiMax)
    {
        int images = softMax.Maps.Length, perSide = (int)Math.Round(Math.Sqrt(softMax.Maps[0].Length));
        const double Cell = 1.15;
        var plot = new Plot();
        for (int i = 0; i < images; i++)
        {
            double left = i * Cell;
            using var image = test.Images[i].to(ScalarType.Float64).contiguous();
            Grid(plot, image.data<double>().ToArray(), FashionMnist.Side, left, 2 * Cell, new ScottPlot.Colormaps.Grayscale(), null);
            double top = Math.Max(softMax.Maps[i].Max(), multiMax.Maps[i].Max());
            Grid(plot, softMax.Maps[i], perSide, left, Cell, new ScottPlot.Colormaps.Inferno(), new ScottPlot.Range(0, top));
            Grid(plot, multiMax.Maps[i], perSide, left, 0, new ScottPlot.Colormaps.Inferno(), new ScottPlot.Range(0, top));
            var label = plot.Add.Text(FashionMnist.ClassNames[(int)test.Labels[i].item<long>()], left + 0.5, 3 * Cell - 0.08);
            label.LabelAlignment = Alignment.LowerCenter;
            label.LabelFontSize = 13;
        }

        foreach ((string text, double y) in new[] { ("image", 2 * Cell + 0.5), (softMax.Name, Cell + 0.5), (multiMax.Name, 0.5) })
        {
            var label = plot.Add.Text(text, -0.1, y);
            label.LabelAlignment = Alignment.MiddleRight;
            label.LabelFontSize = 14;
            label.LabelBold = true;
        }

        plot.Axes.Frameless();
        plot.HideGrid();
        plot.Axes.SquareUnits();
        plot.Axes.SetLimits(-1.1, images * Cell, -0.1, 3 * Cell + 0.2);
        plot.Title($"Where the [CLS] query looks in the last layer (seed {softMax.Seed}; brighter = more attention)");
        plot.SavePng(path, 1100, 520);
        return path;
    }

    /// <summary>A side × side grid of values drawn as a unit square with its lower left corner at (left, bottom), first row on top.</summary>
    private static void Grid(Plot plot, double[] values, int side, double left, double bottom, IColormap colormap, ScottPlot.Range? range)
    {
        var cells = new double[side, side];
        for (int row = 0; row < side; row++)
        {
            for (int column = 0; column < side; column++)
            {
                cells[row, column] = values[row * side + column];
            }
        }

        var heatmap = plot.Add.Heatmap(cells);
        heatmap.Colormap = colormap;
        // Position places the outer cells' centres: inset by half a cell, the cells fill exactly the unit square.
        double half = 0.5 / side;
        heatmap.Position = new CoordinateRect(left + half, left + 1 - half, bottom + half, bottom + 1 - half);
        heatmap.ManualRange = range;
    }
}
