using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using MultiMax.Analysis;
using ScottPlot;

namespace MultiMax.Figures;

/// <summary>Writes the figures and the metrics table; <paramref name="metricRows"/> sets the size of the table's sample.</summary>
public static class FigureWriter
{
    public static IReadOnlyList<string> WriteAll(string folder, int metricRows = 2000, int seed = 1)
    {
        Directory.CreateDirectory(folder);
        string metrics = Path.Combine(folder, "metrics.md");
        File.WriteAllText(metrics, MetricsTable(metricRows, seed));
        return new[]
        {
            Simplex(Path.Combine(folder, "figure1-simplex.png")),
            Reweighting(Path.Combine(folder, "figure2-reweighting.png")),
            Modulators(Path.Combine(folder, "modulators.png")),
            metrics,
        };
    }

    /// <summary>
    /// Figure 1: inputs v(θ) = 1.5·(1, 1, 1) + cos θ·e₁ + sin θ·e₂, a unit circle in the plane orthogonal to (1, 1, 1)
    /// (every direction of difference between three scores) around MultiMax's lower threshold (the other functions
    /// ignore the offset), mapped by each function and drawn on the 2-simplex.
    /// One small simplex per function, so that curves on the same edges (SparseMax, EvSoftMax) stay apart; a dot every
    /// 10° of θ shows where the circle's points pile up (in the corners, for the sparse functions). SoftMax T = 1 is
    /// drawn faintly in every other panel as the common reference. Seven functions fill seven of the eight cells.
    /// </summary>
    private static string Simplex(string path)
    {
        const int Columns = 4;
        const double Width = 1.3, Height = 1.2;
        double[] e1 = { 1 / Math.Sqrt(2), -1 / Math.Sqrt(2), 0 }, e2 = { 1 / Math.Sqrt(6), 1 / Math.Sqrt(6), -2 / Math.Sqrt(6) };
        Coordinates[] Image(Compared function, int steps) => Enumerable.Range(0, steps + 1).Select(i =>
        {
            double theta = i * 2 * Math.PI / steps;
            double[] v = Enumerable.Range(0, 3).Select(k => 1.5 + Math.Cos(theta) * e1[k] + Math.Sin(theta) * e2[k]).ToArray();
            double[] p = function.Apply(v);
            return new Coordinates(p[1] + 0.5 * p[2], Math.Sqrt(3) / 2 * p[2]);
        }).ToArray();

        var plot = new Plot();
        Compared reference = Compared.All.Single(f => f.Name == "SoftMax T=1");
        for (int index = 0; index < Compared.All.Count; index++)
        {
            Compared function = Compared.All[index];
            // Panel origin: four simplices per row, rows going down.
            double left = index % Columns * Width, bottom = -(index / Columns) * Height;
            Coordinates[] Shift(Coordinates[] points) => points.Select(c => new Coordinates(c.X + left, c.Y + bottom)).ToArray();

            var triangle = plot.Add.ScatterLine(Shift(new Coordinates[] { new(0, 0), new(1, 0), new(0.5, Math.Sqrt(3) / 2), new(0, 0) }));
            triangle.Color = Colors.Gray.WithAlpha(0.6);
            triangle.LineWidth = 1;
            if (function != reference)
            {
                var faint = plot.Add.ScatterLine(Shift(Image(reference, 360)));
                faint.Color = Colors.Gray.WithAlpha(0.5);
                faint.LinePattern = LinePattern.Dotted;
            }

            var curve = plot.Add.ScatterLine(Shift(Image(function, 720)));
            curve.Color = Color(function);
            curve.LineWidth = 2.5f;
            var dots = plot.Add.ScatterPoints(Shift(Image(function, 36)));
            dots.Color = Color(function);
            dots.MarkerSize = 6;

            var name = plot.Add.Text(function.Name, left + 0.5, bottom + 0.93);
            name.LabelFontSize = 15;
            name.LabelBold = true;
            name.LabelAlignment = Alignment.LowerCenter;
            if (index == 0)
            {
                // The corners are the same in every panel: label them once.
                foreach ((string text, double x, double y, Alignment alignment) in new[]
                {
                    ("p₁ = 1", left, bottom - 0.03, Alignment.UpperCenter),
                    ("p₂ = 1", left + 1, bottom - 0.03, Alignment.UpperCenter),
                    ("p₃ = 1", left + 0.56, bottom + Math.Sqrt(3) / 2, Alignment.MiddleLeft),
                })
                {
                    var corner = plot.Add.Text(text, x, y);
                    corner.LabelFontSize = 12;
                    corner.LabelAlignment = alignment;
                }
            }
        }

        // The eighth cell is free: the key goes there.
        var note = plot.Add.Text("dotted: SoftMax T=1, for comparison\ndots: every 10° of the input circle",
            3 * Width + 0.5, -Height + 0.45);
        note.LabelFontSize = 12;
        note.LabelAlignment = Alignment.MiddleCenter;

        plot.Axes.Frameless();
        plot.HideGrid();
        plot.Axes.SquareUnits();
        plot.Title("Figure 1: a circle of inputs v ∈ R³ mapped onto the 2-simplex");
        plot.SavePng(path, 1100, 640);
        return path;
    }

    /// <summary>Figure 2: how each function weighs the first of two entries, x = (t, 0).</summary>
    private static string Reweighting(string path)
    {
        var plot = new Plot();
        double[] ts = Enumerable.Range(0, 241).Select(i => -3 + i * 0.025).ToArray();
        foreach (Compared function in Compared.All)
        {
            Style(plot.Add.ScatterLine(ts, ts.Select(t => function.Apply(t, 0)[0]).ToArray()), function);
        }

        return Save(plot, path, "Figure 2: the weight of the first entry of x = (t, 0)", "t", "p₁", 900, 560);
    }

    /// <summary>σ for a few parameter settings against the identity (SoftMax).</summary>
    private static string Modulators(string path)
    {
        var plot = new Plot();
        double[] xs = Enumerable.Range(0, 241).Select(i => -4 + i * (8.0 / 240)).ToArray();
        var identity = plot.Add.ScatterLine(xs, xs);
        identity.LegendText = "identity (SoftMax)";
        identity.LinePattern = LinePattern.Dashed;
        identity.Color = Colors.Gray;
        var settings = new (string Name, double[] Ts, double[] Ranges)[]
        {
            ("t_b = 3 below 1.5, t_d = 0.5 above 2.5 (Figures 1–2, the table)", Compared.MultiMaxParameters[..4], Compared.MultiMaxParameters[4..]),
            ("t_b = 2 below 0, t_d = 0.5 above 1", new[] { -1.0, -0.5, 0, 0 }, new[] { 0.0, 1.0, 0, 0 }),
            ("second order: −0.3·relu(−x)² − 0.1·relu(x − 1)²", new[] { 0.0, 0, -0.3, -0.1 }, new[] { 0.0, 0, 0, 1 }),
        };
        foreach ((string name, double[] ts, double[] ranges) in settings)
        {
            var curve = plot.Add.ScatterLine(xs, xs.Select(x => Sigma(x, ts, ranges)).ToArray());
            curve.LegendText = name;
            curve.LineWidth = 2;
        }

        return Save(plot, path, "The modulator σ of MultiMax for a few parameter settings", "x", "σ(x)", 900, 600);
    }

    /// <summary>
    /// Rows of 20 scores: 3 "relevant" entries around 3 (N(3, 0.5²)) among 17 from N(0, 1). A good normalizer keeps
    /// the three modes and little mass on the rest.
    /// </summary>
    private static string MetricsTable(int rows, int seed)
    {
        const int Length = 20, Relevant = 3;
        var random = new Random(seed);
        var x = new double[rows * Length];
        for (int row = 0; row < rows; row++)
        {
            for (int i = 0; i < Length; i++)
            {
                x[row * Length + i] = (i < Relevant ? 3 : 0) + (i < Relevant ? 0.5 : 1) * Gaussian(random);
            }
        }

        var text = new StringBuilder();
        text.AppendLine($"{rows} rows of {Length} scores: {Relevant} from N(3, 0.5²) among {Length - Relevant} from N(0, 1); seed {seed}. Row averages.");
        text.AppendLine();
        text.AppendLine("| function | entropy (nats) | mass below 0.01 | mass outside top 3 | zero entries | modes (≥ 0.1) | 2nd / 1st |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        var y = new double[x.Length];
        foreach (Compared function in Compared.All)
        {
            function.Normalize(x, y, Length);
            DistributionSummary s = DistributionMetrics.Summarize<double>(y, Length, new MetricOptions(TailThreshold: 0.01, TopK: Relevant, ModeShare: 0.1));
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {function.Name} | {s.Entropy:0.000} | {s.TailMass:0.0000} | {s.MassOutsideTopK:0.000} | {s.ZeroFraction:0.0%} | {s.Modes:0.00} | {s.SecondToFirst:0.000} |"));
        }

        return text.ToString();
    }

    /// <summary>One colour per function in every figure.</summary>
    private static Color Color(Compared function) =>
        new ScottPlot.Palettes.Category10().GetColor(Compared.All.ToList().IndexOf(function));

    /// <summary>The function's colour; MultiMax drawn thicker.</summary>
    private static void Style(ScottPlot.Plottables.Scatter curve, Compared function)
    {
        curve.LegendText = function.Name;
        curve.Color = Color(function);
        curve.LineWidth = function.Name == "MultiMax" ? 3 : 2;
        if (function.Name == "EvSoftMax")
        {
            // Dashed, so that SparseMax shows where the two run along the same lines.
            curve.LinePattern = LinePattern.Dashed;
        }
    }

    /// <summary>σ of order 2 with the reference code's ts and ranges.</summary>
    private static double Sigma(double x, double[] ts, double[] ranges) =>
        x + ts[0] * Math.Max(ranges[0] - x, 0) + ts[1] * Math.Max(x - ranges[1], 0)
          + ts[2] * Math.Pow(Math.Max(ranges[2] - x, 0), 2) + ts[3] * Math.Pow(Math.Max(x - ranges[3], 0), 2);

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static string Save(Plot plot, string path, string title, string xLabel, string yLabel, int width, int height)
    {
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend();
        plot.SavePng(path, width, height);
        return path;
    }
}
