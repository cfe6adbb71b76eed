using System;
using System.Collections.Generic;
using System.Linq;

namespace MultiMax.Tests.Reference;

/// <summary>
/// Attention written out in double the slow way, from the reference normalizer: every score row is materialized
/// (masked scores −∞), normalized by <see cref="ReferenceNormalizer"/> as probabilities, and multiplied by the values;
/// the backward applies the row normalizer's backward to the upstream gradient <c>dO_i·v_j</c> of each weight.
/// </summary>
public sealed class ReferenceAttention(ReferenceNormalizer normalizer, AttentionShape shape, bool[]? padding, bool causal, double scale)
{
    private readonly ReferenceNormalizer probabilities = normalizer with { Log = false };

    public (double[] Output, double[] LogSumExp) Forward(double[] query, double[] key, double[] value)
    {
        int d = shape.HeadSize;
        var output = new double[shape.QueryLength];
        var logSumExp = new double[shape.LogSumExpLength];
        foreach ((int head, int i) in Rows())
        {
            double[] scores = Scores(query, key, head, i);
            double[] weights = shape.Keys == 0 ? [] : probabilities.Forward(scores, shape.Keys);
            for (int j = 0; j < shape.Keys; j++)
            {
                for (int t = 0; t < d; t++)
                {
                    output[QueryIndex(head, i) + t] += weights[j] * value[KeyIndex(head, j) + t];
                }
            }

            double[] sigma = scores.Where(s => !double.IsNegativeInfinity(s)).Select(probabilities.Sigma).ToArray();
            double max = sigma.Length == 0 ? double.NegativeInfinity : sigma.Max();
            logSumExp[head * shape.Queries + i] = sigma.Length == 0 ? double.NegativeInfinity : max + Math.Log(sigma.Sum(s => Math.Exp(s - max)));
        }

        return (output, logSumExp);
    }

    /// <summary>The gradients of the loss Σ dO·O with respect to query, key, value and the flat parameters.</summary>
    public (double[] Query, double[] Key, double[] Value, double[] Parameters) Backward(
        double[] query, double[] key, double[] value, double[] outputGradient, ParameterLayout layout)
    {
        int d = shape.HeadSize;
        var dq = new double[query.Length];
        var dk = new double[key.Length];
        var dv = new double[value.Length];
        var parameters = new double[layout.Count];
        foreach ((int head, int i) in Rows())
        {
            if (shape.Keys == 0)
            {
                continue;
            }

            double[] scores = Scores(query, key, head, i);
            double[] weights = probabilities.Forward(scores, shape.Keys);
            var upstream = new double[shape.Keys];
            for (int j = 0; j < shape.Keys; j++)
            {
                for (int t = 0; t < d; t++)
                {
                    upstream[j] += outputGradient[QueryIndex(head, i) + t] * value[KeyIndex(head, j) + t];
                    dv[KeyIndex(head, j) + t] += weights[j] * outputGradient[QueryIndex(head, i) + t];
                }
            }

            (double[] ds, ReferenceGradients gradients) = probabilities.Backward(scores, upstream, shape.Keys);
            double[] flat = layout.Flatten(gradients);
            for (int p = 0; p < flat.Length; p++)
            {
                parameters[p] += flat[p];
            }

            for (int j = 0; j < shape.Keys; j++)
            {
                for (int t = 0; t < d; t++)
                {
                    dq[QueryIndex(head, i) + t] += scale * ds[j] * key[KeyIndex(head, j) + t];
                    dk[KeyIndex(head, j) + t] += scale * ds[j] * query[QueryIndex(head, i) + t];
                }
            }
        }

        return (dq, dk, dv, parameters);
    }

    /// <summary>The loss Σ dO·O, for finite differences.</summary>
    public double Loss(double[] query, double[] key, double[] value, double[] outputGradient) =>
        Forward(query, key, value).Output.Zip(outputGradient, (o, g) => o * g).Sum();

    private IEnumerable<(int Head, int Query)> Rows() =>
        from head in Enumerable.Range(0, (int)shape.HeadCount)
        from i in Enumerable.Range(0, shape.Queries)
        select (head, i);

    /// <summary>The score row of query <paramref name="i"/> of <paramref name="head"/>: −∞ where the key is masked.</summary>
    private double[] Scores(double[] query, double[] key, int head, int i)
    {
        var scores = new double[shape.Keys];
        int batch = head / shape.Heads;
        for (int j = 0; j < shape.Keys; j++)
        {
            if ((padding is not null && padding[batch * shape.Keys + j]) || (causal && j > i))
            {
                scores[j] = double.NegativeInfinity;
                continue;
            }

            double dot = 0;
            for (int t = 0; t < shape.HeadSize; t++)
            {
                dot += query[QueryIndex(head, i) + t] * key[KeyIndex(head, j) + t];
            }

            scores[j] = scale * dot;
        }

        return scores;
    }

    private int QueryIndex(int head, int i) => (head * shape.Queries + i) * shape.HeadSize;

    private int KeyIndex(int head, int j) => (head * shape.Keys + j) * shape.HeadSize;
}
