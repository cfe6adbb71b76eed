using System;

namespace MultiMax.Tests.Reference;

/// <summary>
/// The output-layer loss written out in double the slow way: every logit materialized (<c>z = h·Wᵀ + b</c>), the
/// log-probabilities from <see cref="ReferenceNormalizer"/>, the mean negative log-likelihood over counted tokens;
/// the backward is the row normalizer's backward of the upstream gradient <c>−1/count</c> at each target, then the
/// products of the linear map.
/// </summary>
public sealed class ReferenceCrossEntropy(ReferenceNormalizer normalizer, CrossEntropyShape shape, long ignoreIndex = -100)
{
    private readonly ReferenceNormalizer log = normalizer with { Log = true };

    public double[] Logits(double[] hidden, double[] weight, double[]? bias)
    {
        var z = new double[shape.Tokens * shape.Vocab];
        for (int t = 0; t < shape.Tokens; t++)
        {
            for (int v = 0; v < shape.Vocab; v++)
            {
                double sum = bias is null ? 0 : bias[v];
                for (int d = 0; d < shape.Dim; d++)
                {
                    sum += hidden[t * shape.Dim + d] * weight[v * shape.Dim + d];
                }

                z[t * shape.Vocab + v] = sum;
            }
        }

        return z;
    }

    public double Loss(double[] hidden, double[] weight, double[]? bias, long[] targets)
    {
        double[] logProbabilities = shape.Tokens == 0 ? [] : log.Forward(Logits(hidden, weight, bias), shape.Vocab);
        double sum = 0;
        int counted = 0;
        for (int t = 0; t < shape.Tokens; t++)
        {
            if (targets[t] != ignoreIndex)
            {
                sum -= logProbabilities[t * shape.Vocab + targets[t]];
                counted++;
            }
        }

        return counted == 0 ? 0 : sum / counted;
    }

    /// <summary>The gradients of the mean loss with respect to hidden, weight, bias and the flat parameters.</summary>
    public (double[] Hidden, double[] Weight, double[] Bias, double[] Parameters) Gradients(
        double[] hidden, double[] weight, double[]? bias, long[] targets, ParameterLayout layout)
    {
        var dh = new double[hidden.Length];
        var dw = new double[weight.Length];
        var db = new double[shape.Vocab];
        int counted = Array.FindAll(targets, t => t != ignoreIndex).Length;
        if (counted == 0)
        {
            return (dh, dw, db, new double[layout.Count]);
        }

        double[] z = Logits(hidden, weight, bias);
        var upstream = new double[z.Length];
        for (int t = 0; t < shape.Tokens; t++)
        {
            if (targets[t] != ignoreIndex)
            {
                upstream[t * shape.Vocab + targets[t]] = -1.0 / counted;
            }
        }

        (double[] dz, ReferenceGradients parameters) = log.Backward(z, upstream, shape.Vocab);
        for (int t = 0; t < shape.Tokens; t++)
        {
            for (int v = 0; v < shape.Vocab; v++)
            {
                double g = dz[t * shape.Vocab + v];
                db[v] += g;
                for (int d = 0; d < shape.Dim; d++)
                {
                    dh[t * shape.Dim + d] += g * weight[v * shape.Dim + d];
                    dw[v * shape.Dim + d] += g * hidden[t * shape.Dim + d];
                }
            }
        }

        return (dh, dw, db, layout.Flatten(parameters));
    }
}
