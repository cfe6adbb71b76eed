using System;
using System.Collections.Generic;
using System.Linq;

namespace MultiMax.Tests.Reference;

/// <summary>Which side of its threshold a reference term acts on.</summary>
public enum Side
{
    Below,
    Above,
}

/// <summary>One term of σ with its values: <c>Coefficient·max(±(x − Threshold), 0)^Power</c>.</summary>
public sealed record Term(Side Side, int Power, double Coefficient, double Threshold);

/// <summary>
/// A plain, scalar, double-precision MultiMax written from the formulas in docs/attributes.md, independently of the
/// generator: the yardstick every generated kernel is measured against. Clarity over speed.
/// </summary>
/// <remarks>
/// σ is either the paper's terms (<paramref name="Terms"/>, <paramref name="Scale"/>, <paramref name="Shift"/>) or a
/// modulator written as C# (<paramref name="Expression"/> at <paramref name="ExpressionParameters"/>), with its
/// hand-written derivatives.
/// </remarks>
public sealed record ReferenceNormalizer(
    IReadOnlyList<Term> Terms, double Scale, double Shift, bool Log,
    ExpressionModulator? Expression = null, double[]? ExpressionParameters = null)
{
    public double Sigma(double x)
    {
        if (Expression is not null)
        {
            return Expression.Sigma(x, ExpressionParameters!);
        }

        double u = Scale * x + Shift;
        double sigma = u;
        foreach (Term term in Terms)
        {
            double r = term.Side == Side.Below ? term.Threshold - u : u - term.Threshold;
            // A zero coefficient is no term at all, however large r^p gets: 0·∞ is not what a user means by 0.
            if (r > 0 && term.Coefficient != 0)
            {
                sigma += term.Coefficient * Math.Pow(r, term.Power);
            }
        }

        return sigma;
    }

    /// <summary>dσ/dx, including the affine scale; relu's slope at its kink is 0, as in PyTorch.</summary>
    public double SigmaDerivative(double x)
    {
        if (Expression is not null)
        {
            return Expression.ByInput(x, ExpressionParameters!);
        }

        double u = Scale * x + Shift;
        double slope = 1;
        foreach (Term term in Terms)
        {
            double r = term.Side == Side.Below ? term.Threshold - u : u - term.Threshold;
            if (r > 0 && term.Coefficient != 0)
            {
                double d = term.Coefficient * term.Power * Math.Pow(r, term.Power - 1);
                slope += term.Side == Side.Below ? -d : d;
            }
        }

        return Scale * slope;
    }

    /// <summary>
    /// Normalizes each row; with a <paramref name="sink"/>, every row's SoftMax has one more entry of value σ = sink
    /// (never passed through σ) that is dropped from the output: attention sinks.
    /// </summary>
    public double[] Forward(double[] x, int rowLength, double sink = double.NegativeInfinity)
    {
        var y = new double[x.Length];
        for (int start = 0; start < x.Length; start += rowLength)
        {
            ForwardRow(x.AsSpan(start, rowLength), y.AsSpan(start, rowLength), sink);
        }

        return y;
    }

    private void ForwardRow(ReadOnlySpan<double> x, Span<double> y, double sink)
    {
        var sigma = new double[x.Length];
        bool anyUnmasked = false;
        double max = sink;
        for (int i = 0; i < x.Length; i++)
        {
            if (double.IsNegativeInfinity(x[i]))
            {
                continue;
            }

            anyUnmasked = true;
            sigma[i] = Sigma(x[i]);
            max = double.IsNaN(sigma[i]) || double.IsNaN(max) ? double.NaN : Math.Max(max, sigma[i]);
        }

        // docs/attributes.md: NaN or +∞ anywhere in a row makes that whole row NaN (a −∞ entry is a mask, not a value).
        foreach (double v in x)
        {
            if (double.IsNaN(v) || double.IsPositiveInfinity(v))
            {
                y.Fill(double.NaN);
                return;
            }
        }

        if (!anyUnmasked)
        {
            y.Fill(Log ? double.NegativeInfinity : 0);
            return;
        }

        double sum = double.IsNegativeInfinity(sink) ? 0 : Math.Exp(sink - max);
        for (int i = 0; i < x.Length; i++)
        {
            if (!double.IsNegativeInfinity(x[i]))
            {
                sum += Math.Exp(sigma[i] - max);
            }
        }

        for (int i = 0; i < x.Length; i++)
        {
            bool masked = double.IsNegativeInfinity(x[i]);
            y[i] = Log
                ? masked ? double.NegativeInfinity : sigma[i] - max - Math.Log(sum)
                : masked ? 0 : Math.Exp(sigma[i] - max) / sum;
        }
    }

    /// <summary>
    /// The analytic backward of the formulas in docs/attributes.md: dx per entry and the gradient of every term's
    /// coefficient and threshold and of scale and shift, summed over all rows, as named values.
    /// </summary>
    /// <remarks>With a sink the same formulas hold: the sink's entry has no upstream gradient, so it adds nothing to the shared sum.</remarks>
    public (double[] Dx, ReferenceGradients Parameters) Backward(double[] x, double[] dy, int rowLength, double sink = double.NegativeInfinity)
    {
        double[] y = Forward(x, rowLength, sink);
        var dx = new double[x.Length];
        var gradients = new ReferenceGradients(Terms.Count, ExpressionParameters?.Length ?? 0);
        for (int start = 0; start < x.Length; start += rowLength)
        {
            // gσ: the gradient with respect to σ(x) of each entry of the row.
            var gSigma = new double[rowLength];
            double shared = 0;
            for (int i = 0; i < rowLength; i++)
            {
                if (!double.IsNegativeInfinity(x[start + i]))
                {
                    shared += Log ? dy[start + i] : dy[start + i] * y[start + i];
                }
            }

            for (int i = 0; i < rowLength; i++)
            {
                int k = start + i;
                if (double.IsNegativeInfinity(x[k]))
                {
                    continue;
                }

                gSigma[i] = Log ? dy[k] - Math.Exp(y[k]) * shared : y[k] * (dy[k] - shared);
                dx[k] = SigmaDerivative(x[k]) * gSigma[i];
                if (Expression is not null)
                {
                    double[] byParameters = Expression.ByParameters(x[k], ExpressionParameters!);
                    for (int j = 0; j < byParameters.Length; j++)
                    {
                        gradients.Expression[j] += gSigma[i] * byParameters[j];
                    }

                    continue;
                }

                double u = Scale * x[k] + Shift;
                double dSigmaDu = SigmaDerivative(x[k]) / Scale;
                for (int t = 0; t < Terms.Count; t++)
                {
                    Term term = Terms[t];
                    double r = term.Side == Side.Below ? term.Threshold - u : u - term.Threshold;
                    if (r > 0 && gSigma[i] != 0)
                    {
                        gradients.Coefficients[t] += gSigma[i] * Math.Pow(r, term.Power);
                        double slope = term.Coefficient == 0 ? 0 : term.Coefficient * term.Power * Math.Pow(r, term.Power - 1);
                        gradients.Thresholds[t] += gSigma[i] * (term.Side == Side.Below ? slope : -slope);
                    }
                }

                gradients.Scale += gSigma[i] * dSigmaDu * x[k];
                gradients.Shift += gSigma[i] * dSigmaDu;
            }
        }

        return (dx, gradients);
    }

    /// <summary>The loss <c>Σ dy·y</c> whose gradient the backward computes: what finite differences differentiate.</summary>
    public double Loss(double[] x, double[] dy, int rowLength) =>
        Forward(x, rowLength).Zip(dy, (y, g) => double.IsNegativeInfinity(y) ? 0 : y * g).Sum();
}

/// <summary>Parameter gradients of the reference, by role rather than by flat index.</summary>
public sealed class ReferenceGradients(int terms, int expressionParameters = 0)
{
    /// <summary>The gradients of a modulator written as C#, in its parameters' order.</summary>
    public double[] Expression { get; } = new double[expressionParameters];

    public double[] Coefficients { get; } = new double[terms];

    public double[] Thresholds { get; } = new double[terms];

    public double Scale { get; set; }

    public double Shift { get; set; }
}
