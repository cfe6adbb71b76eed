using System;
using System.Collections.Generic;
using System.Linq;

namespace MultiMax.Tests.Reference;

/// <summary>
/// The parameter layout of docs/attributes.md, written out for the tests: the Order-implied terms Below(1), Above(1),
/// Below(2), …, then explicit terms; learnable coefficients in term order, then learnable thresholds, then scale and
/// shift.
/// </summary>
public sealed class ParameterLayout
{
    private readonly List<(Side Side, int Power, double? Coefficient, double? Threshold)> terms = new();

    public ParameterLayout(int order = 0, bool affine = false, bool log = false)
    {
        for (int n = 1; n <= order; n++)
        {
            terms.Add((Side.Below, n, null, null));
            terms.Add((Side.Above, n, null, null));
        }

        Affine = affine;
        Log = log;
    }

    public bool Affine { get; }

    /// <summary>σ written as C#, whose parameters are the layout; null for terms.</summary>
    public ExpressionModulator? Expression { get; private init; }

    /// <summary>The layout of a modulator written as C#: its parameters in the method's order.</summary>
    public static ParameterLayout Of(ExpressionModulator expression, bool log = false) => new(log: log) { Expression = expression };

    public bool Log { get; }

    public ParameterLayout With(Side side, int power, double? coefficient = null, double? threshold = null)
    {
        terms.Add((side, power, coefficient, threshold));
        return this;
    }

    public int Count => Expression is not null ? Expression.Initial.Length : terms.Count(t => t.Coefficient is null) + terms.Count(t => t.Threshold is null) + (Affine ? 2 : 0);

    /// <summary>The reference normalizer that a flat parameter vector describes.</summary>
    public ReferenceNormalizer Bind(IReadOnlyList<double> parameters)
    {
        if (parameters.Count != Count)
        {
            throw new ArgumentException($"expected {Count} parameters");
        }

        if (Expression is not null)
        {
            return new ReferenceNormalizer(Array.Empty<Term>(), 1, 0, Log, Expression, parameters.ToArray());
        }

        int next = 0;
        var coefficients = terms.Select(t => t.Coefficient ?? parameters[next++]).ToList();
        var thresholds = terms.Select(t => t.Threshold ?? parameters[next++]).ToList();
        double scale = Affine ? parameters[next++] : 1, shift = Affine ? parameters[next++] : 0;
        return new ReferenceNormalizer(
            terms.Select((t, i) => new Term(t.Side, t.Power, coefficients[i], thresholds[i])).ToList(), scale, shift, Log);
    }

    /// <summary>The reference's named gradients in the flat layout.</summary>
    public double[] Flatten(ReferenceGradients gradients)
    {
        if (Expression is not null)
        {
            return gradients.Expression.ToArray();
        }

        var flat = new List<double>();
        flat.AddRange(terms.Select((t, i) => (t, i)).Where(p => p.t.Coefficient is null).Select(p => gradients.Coefficients[p.i]));
        flat.AddRange(terms.Select((t, i) => (t, i)).Where(p => p.t.Threshold is null).Select(p => gradients.Thresholds[p.i]));
        if (Affine)
        {
            flat.Add(gradients.Scale);
            flat.Add(gradients.Shift);
        }

        return flat.ToArray();
    }
}
