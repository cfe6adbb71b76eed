using System;
using System.Collections.Generic;
using System.Linq;

namespace MultiMax.Tests.Reference;

/// <summary>
/// What a reference attention call masks and adds, in double: key padding, a causal mask and a window at an alignment,
/// a bias in its (broadcast) shape, and sinks.
/// </summary>
public sealed record ReferenceAttentionOptions(
    bool[]? Padding = null, bool Causal = false, CausalAlignment Alignment = CausalAlignment.TopLeft, (int Left, int Right)? Window = null,
    double[]? Bias = null, AttentionBiasShape BiasShape = default, double[]? Sinks = null);

/// <summary>
/// Attention written out in double the slow way, from the reference normalizer: every score row is materialized
/// (scale·q·k + bias; masked scores −∞, each query's visible keys found by testing every key against the mask, the
/// causal rule and the window), normalized by <see cref="ReferenceNormalizer"/> as probabilities (the head's sink as
/// one more SoftMax entry), and multiplied by the values; the backward applies the row normalizer's backward to the
/// upstream gradient <c>dO_i·v_j</c> of each weight. Query head h reads key/value head h / (heads / kvHeads).
/// </summary>
public sealed class ReferenceAttention(ReferenceNormalizer normalizer, AttentionShape shape, ReferenceAttentionOptions options, double scale)
{
    private readonly ReferenceNormalizer probabilities = normalizer with { Log = false };

    public ReferenceAttention(ReferenceNormalizer normalizer, AttentionShape shape, bool[]? padding, bool causal, double scale)
        : this(normalizer, shape, new ReferenceAttentionOptions(padding, causal), scale)
    {
    }

    public (double[] Output, double[] LogSumExp) Forward(double[] query, double[] key, double[] value)
    {
        int d = shape.HeadSize;
        var output = new double[shape.QueryLength];
        var logSumExp = new double[shape.LogSumExpLength];
        foreach ((int head, int i) in Rows())
        {
            double[] scores = Scores(query, key, head, i);
            double sink = Sink(head);
            double[] weights = shape.Keys == 0 ? [] : probabilities.Forward(scores, shape.Keys, sink);
            for (int j = 0; j < shape.Keys; j++)
            {
                for (int t = 0; t < d; t++)
                {
                    output[QueryIndex(head, i) + t] += weights[j] * value[KeyIndex(head, j) + t];
                }
            }

            double[] sigma = scores.Where(s => !double.IsNegativeInfinity(s)).Select(probabilities.Sigma).Append(sink)
                .Where(s => !double.IsNegativeInfinity(s)).ToArray();
            double max = sigma.Length == 0 ? double.NegativeInfinity : sigma.Max();
            logSumExp[head * shape.Queries + i] = sigma.Length == 0 ? double.NegativeInfinity : max + Math.Log(sigma.Sum(s => Math.Exp(s - max)));
        }

        return (output, logSumExp);
    }

    /// <summary>
    /// The gradients of the loss Σ dO·O with respect to query, key, value, the flat parameters, the bias (in its own
    /// shape; empty without one) and the sinks (empty without them).
    /// </summary>
    public (double[] Query, double[] Key, double[] Value, double[] Parameters, double[] Bias, double[] Sinks) Backward(
        double[] query, double[] key, double[] value, double[] outputGradient, ParameterLayout layout)
    {
        int d = shape.HeadSize;
        var dq = new double[query.Length];
        var dk = new double[key.Length];
        var dv = new double[value.Length];
        var parameters = new double[layout.Count];
        var bias = new double[options.Bias?.Length ?? 0];
        var sinks = new double[options.Sinks?.Length ?? 0];
        foreach ((int head, int i) in Rows())
        {
            if (shape.Keys == 0)
            {
                continue;
            }

            double[] scores = Scores(query, key, head, i);
            double sink = Sink(head);
            double[] weights = probabilities.Forward(scores, shape.Keys, sink);
            var upstream = new double[shape.Keys];
            for (int j = 0; j < shape.Keys; j++)
            {
                for (int t = 0; t < d; t++)
                {
                    upstream[j] += outputGradient[QueryIndex(head, i) + t] * value[KeyIndex(head, j) + t];
                    dv[KeyIndex(head, j) + t] += weights[j] * outputGradient[QueryIndex(head, i) + t];
                }
            }

            (double[] ds, ReferenceGradients gradients) = probabilities.Backward(scores, upstream, shape.Keys, sink);
            double[] flat = layout.Flatten(gradients);
            for (int p = 0; p < flat.Length; p++)
            {
                parameters[p] += flat[p];
            }

            for (int j = 0; j < shape.Keys; j++)
            {
                if (options.Bias is not null)
                {
                    bias[BiasIndex(head, i, j)] += ds[j];
                }

                for (int t = 0; t < d; t++)
                {
                    dq[QueryIndex(head, i) + t] += scale * ds[j] * key[KeyIndex(head, j) + t];
                    dk[KeyIndex(head, j) + t] += scale * ds[j] * query[QueryIndex(head, i) + t];
                }
            }

            if (options.Sinks is not null && !double.IsNegativeInfinity(sink))
            {
                // d/dc of Σ_j upstream_j·P_j, with P_j = exp(σ_j)/(Σ exp σ + exp c): −P_sink·Σ_j upstream_j·P_j.
                double[] sigma = scores.Where(s => !double.IsNegativeInfinity(s)).Select(probabilities.Sigma).Append(sink).ToArray();
                double max = sigma.Max();
                double sinkWeight = Math.Exp(sink - max) / sigma.Sum(s => Math.Exp(s - max));
                sinks[head % shape.Heads] -= sinkWeight * upstream.Zip(weights, (g, w) => g * w).Sum();
            }
        }

        return (dq, dk, dv, parameters, bias, sinks);
    }

    /// <summary>The loss Σ dO·O, for finite differences.</summary>
    public double Loss(double[] query, double[] key, double[] value, double[] outputGradient) =>
        Forward(query, key, value).Output.Zip(outputGradient, (o, g) => o * g).Sum();

    private IEnumerable<(int Head, int Query)> Rows() =>
        from head in Enumerable.Range(0, (int)shape.HeadCount)
        from i in Enumerable.Range(0, shape.Queries)
        select (head, i);

    private double Sink(int head) => options.Sinks is null ? double.NegativeInfinity : options.Sinks[head % shape.Heads];

    /// <summary>The score row of query <paramref name="i"/> of <paramref name="head"/>: −∞ where the key is masked.</summary>
    private double[] Scores(double[] query, double[] key, int head, int i)
    {
        var scores = new double[shape.Keys];
        int batch = head / shape.Heads;
        long aligned = i + (options.Alignment == CausalAlignment.BottomRight ? shape.Keys - shape.Queries : 0);
        for (int j = 0; j < shape.Keys; j++)
        {
            bool padded = options.Padding is not null && options.Padding[batch * shape.Keys + j];
            bool future = options.Causal && j > aligned;
            bool outside = options.Window is { } window && (j < aligned - window.Left || j > aligned + window.Right);
            if (padded || future || outside)
            {
                scores[j] = double.NegativeInfinity;
                continue;
            }

            double dot = 0;
            for (int t = 0; t < shape.HeadSize; t++)
            {
                dot += query[QueryIndex(head, i) + t] * key[KeyIndex(head, j) + t];
            }

            scores[j] = scale * dot + (options.Bias is null ? 0 : options.Bias[BiasIndex(head, i, j)]);
        }

        return scores;
    }

    private int QueryIndex(int head, int i) => (head * shape.Queries + i) * shape.HeadSize;

    private int KeyIndex(int head, int j)
    {
        int keyHead = head / shape.Heads * shape.KeyValueHeads + head % shape.Heads / (shape.Heads / shape.KeyValueHeads);
        return (keyHead * shape.Keys + j) * shape.HeadSize;
    }

    /// <summary>The bias entry of (head, i, j) in the bias's own shape: index 0 along every broadcast extent.</summary>
    private int BiasIndex(int head, int i, int j)
    {
        AttentionBiasShape b = options.BiasShape == default ? AttentionBiasShape.Full(shape) : options.BiasShape;
        int batch = b.Batch == 1 ? 0 : head / shape.Heads, h = b.Heads == 1 ? 0 : head % shape.Heads;
        int query = b.Queries == 1 ? 0 : i, k = b.Keys == 1 ? 0 : j;
        return ((batch * b.Heads + h) * b.Queries + query) * b.Keys + k;
    }
}
