using System;

namespace MultiMax.Tests.Reference;

/// <summary>Central finite differences in double: the check that needs no formula at all.</summary>
public static class FiniteDifferences
{
    public static double[] Gradient(Func<double[], double> f, double[] at, double step = 1e-6)
    {
        var gradient = new double[at.Length];
        var probe = (double[])at.Clone();
        for (int i = 0; i < at.Length; i++)
        {
            if (double.IsNegativeInfinity(at[i]))
            {
                continue; // a masked entry is a constant, not a variable
            }

            probe[i] = at[i] + step;
            double up = f(probe);
            probe[i] = at[i] - step;
            double down = f(probe);
            probe[i] = at[i];
            gradient[i] = (up - down) / (2 * step);
        }

        return gradient;
    }
}
