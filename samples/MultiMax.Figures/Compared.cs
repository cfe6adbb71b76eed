using System;
using System.Collections.Generic;
using System.Linq;

namespace MultiMax.Figures;

/// <summary>One normalizer as the figures call it: rows of <c>rowLength</c> in, probabilities out.</summary>
public sealed record Compared(string Name, Action<double[], double[], int> Normalize)
{
    /// <summary>
    /// MultiMax of order 2, set by hand (not learned) in the paper's first-order shape: slope t_b = 3 below b = 1.5,
    /// pushing small entries down, and slope t_d = 0.5 above d = 2.5, pulling large ones together. The thresholds sit
    /// between the noise level (0) and the signal level (3) of the metrics table's scores. a = 1 − t_b, c = t_d − 1;
    /// no quadratic terms. Layout ts[0..3], ranges[0..3].
    /// </summary>
    public static readonly double[] MultiMaxParameters = { -2.0, -0.5, 0, 0, 1.5, 2.5, 0, 0 };

    /// <summary>SoftMax at three temperatures, SparseMax, 1.5-EntMax, EvSoftMax and MultiMax, in the figures' order.</summary>
    public static IReadOnlyList<Compared> All { get; } = new[]
    {
        SoftMax(0.5),
        SoftMax(1),
        SoftMax(2),
        new Compared("SparseMax", (x, y, n) => SparseNormalizers.SparseMax(x, y, n)),
        new Compared("EntMax-1.5", (x, y, n) => SparseNormalizers.EntMax15(x, y, n)),
        new Compared("EvSoftMax", (x, y, n) => SparseNormalizers.EvSoftMax(x, y, n)),
        new Compared("MultiMax", (x, y, n) => Normalizers.MultiMax2(x, y, n, MultiMaxParameters)),
    };

    /// <summary>The probabilities of one row.</summary>
    public double[] Apply(params double[] x)
    {
        var y = new double[x.Length];
        Normalize(x, y, x.Length);
        return y;
    }

    private static Compared SoftMax(double temperature) =>
        new($"SoftMax T={temperature:0.#}", (x, y, n) => Normalizers.SoftMax(x.Select(v => v / temperature).ToArray(), y, n));
}
