using System;

namespace MultiMax.Tests.Reference;

/// <summary>
/// The test declarations' modulators (Declarations/Ops.Modulators.cs in the CPU and GPU test projects), written again
/// here with their derivatives worked out by hand.
/// </summary>
public static class ExpressionModulators
{
    public static readonly ExpressionModulator SoftCap = new(
        "SoftCap",
        (x, p) => p[0] * Math.Tanh(x / p[0]),
        (x, p) => 1 - Square(Math.Tanh(x / p[0])),
        (x, p) =>
        {
            double t = Math.Tanh(x / p[0]);
            return new[] { t - x / p[0] * (1 - t * t) };
        },
        new[] { 3.0 });

    public static readonly ExpressionModulator Temperature = new(
        "Temperature",
        (x, p) => x / p[0],
        (x, p) => 1 / p[0],
        (x, p) => new[] { -x / (p[0] * p[0]) },
        new[] { 1.0 });

    public static readonly ExpressionModulator Hinge = new(
        "Hinge",
        (x, p) => x < p[1] ? x + p[0] * Square(p[1] - x) : x,
        (x, p) => x < p[1] ? 1 - 2 * p[0] * (p[1] - x) : 1,
        (x, p) => x < p[1] ? new[] { Square(p[1] - x), 2 * p[0] * (p[1] - x) } : new[] { 0.0, 0.0 },
        new[] { 0.5, 0.5 });

    /// <summary>cap·tanh(z/cap) with z = x + a·max(b − x, 0) + c·max(x − d, 0); parameters a, b, c, d, cap.</summary>
    public static readonly ExpressionModulator CappedMultiMax = new(
        "CappedMultiMax",
        (x, p) => p[4] * Math.Tanh(Inner(x, p) / p[4]),
        (x, p) => Outer(x, p) * (1 - p[0] * Step(p[1] - x) + p[2] * Step(x - p[3])),
        (x, p) =>
        {
            double outer = Outer(x, p), z = Inner(x, p), t = Math.Tanh(z / p[4]);
            return new[]
            {
                outer * Math.Max(p[1] - x, 0),
                outer * p[0] * Step(p[1] - x),
                outer * Math.Max(x - p[3], 0),
                -outer * p[2] * Step(x - p[3]),
                t - z / p[4] * (1 - t * t),
            };
        },
        new[] { 0.5, -0.5, 0.5, 0.5, 4.0 });

    /// <summary>Every function the expression language has (parameters s, t).</summary>
    public static readonly ExpressionModulator Everything = new(
        "Everything",
        (x, p) => x + p[0] * Math.Sqrt(x * x + 0.25) - Math.Abs(x) / 4 + Math.Min(x, p[1]) / 2 + Math.Exp(-x * x) * p[0]
                  + Math.Pow(x / 4, 3) - Math.Log(1 + x * x) / 8 + (x >= -1 ? 0.25 : -0.25) / Square(p[1]),
        (x, p) => 1 + p[0] * x / Math.Sqrt(x * x + 0.25) - Math.Sign(x) / 4.0 + (x < p[1] ? 0.5 : 0) - 2 * x * Math.Exp(-x * x) * p[0]
                  + 3 * Square(x / 4) / 4 - 2 * x / (1 + x * x) / 8,
        (x, p) => new[]
        {
            Math.Sqrt(x * x + 0.25) + Math.Exp(-x * x),
            (x > p[1] ? 0.5 : 0) + (x >= -1 ? 0.25 : -0.25) * -2 * Math.Pow(p[1], -3),
        },
        new[] { 0.5, 1.0 });

    public static readonly ExpressionModulator Fixed3 = new(
        "Fixed3",
        (x, _) => 3 * Math.Tanh(x / 3),
        (x, _) => 1 - Square(Math.Tanh(x / 3)),
        (_, _) => Array.Empty<double>(),
        Array.Empty<double>());

    private static double Inner(double x, double[] p) => x + p[0] * Math.Max(p[1] - x, 0) + p[2] * Math.Max(x - p[3], 0);

    private static double Outer(double x, double[] p) => 1 - Square(Math.Tanh(Inner(x, p) / p[4]));

    private static double Step(double r) => r > 0 ? 1 : 0;

    private static double Square(double v) => v * v;
}
