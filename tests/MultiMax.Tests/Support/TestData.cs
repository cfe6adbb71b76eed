using System;
using System.Linq;

namespace MultiMax.Tests.Support;

/// <summary>Seeded random inputs and parameters, large enough to make σ non-monotone.</summary>
public static class TestData
{
    public static double[] Normal(Random random, int count, double deviation) =>
        Enumerable.Range(0, count).Select(_ => deviation * Gaussian(random)).ToArray();

    /// <summary>
    /// Coefficients of order one (so σ' = 1 − a·… changes sign: non-monotone), thresholds around 0, and for affine
    /// layouts a scale in ±[0.5, 1.5] and a small shift.
    /// </summary>
    public static double[] Parameters(Random random, Reference.ParameterLayout layout)
    {
        if (layout.Expression is { } expression)
        {
            // Around the declared defaults, same sign, never near 0: a temperature or a cap of 0 is no modulator.
            return expression.Initial.Select(initial => initial * (0.75 + 0.5 * random.NextDouble())).ToArray();
        }

        double[] parameters = Normal(random, layout.Count, 1.0);
        if (layout.Affine)
        {
            double scale = 0.5 + random.NextDouble();
            parameters[^2] = random.Next(4) == 0 ? -scale : scale;
            parameters[^1] = 0.5 * Gaussian(random);
        }

        return parameters;
    }

    public static float[] ToFloat(double[] values) => values.Select(v => (float)v).ToArray();

    public static double[] ToDouble(float[] values) => values.Select(v => (double)v).ToArray();

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
