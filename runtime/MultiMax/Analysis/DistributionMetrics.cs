using System;
using System.Numerics;

namespace MultiMax.Analysis;

/// <summary>
/// Measures of the two properties the MultiMax paper trades off, on one row of a normalizer's output (a
/// probability vector p):
/// <list type="bullet">
/// <item><b>Sparsity</b>: how little mass the small entries keep — <see cref="TailMass"/> (mass on entries below a
/// threshold), <see cref="MassOutsideTopK"/> (mass outside the k largest), <see cref="ZeroFraction"/> (entries that
/// are exactly 0).</item>
/// <item><b>Multi-modality</b>: how many large entries keep their mass — <see cref="ModeCount"/> (entries holding at
/// least a given share) and <see cref="SecondToFirstRatio"/> (the second-largest entry over the largest).</item>
/// <item><see cref="Entropy"/>, in nats, which falls with sparsity and rises with the number of modes.</item>
/// </list>
/// <see cref="Summarize"/> averages them over the rows of a matrix.
/// </summary>
public static class DistributionMetrics
{
    /// <summary>The Shannon entropy −Σ pᵢ ln pᵢ in nats, with 0·ln 0 = 0.</summary>
    public static double Entropy<T>(ReadOnlySpan<T> p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double entropy = 0;
        foreach (T value in p)
        {
            double v = double.CreateTruncating(value);
            if (v > 0)
            {
                entropy -= v * Math.Log(v);
            }
        }

        return entropy;
    }

    /// <summary>Σ pᵢ over the entries with pᵢ &lt; <paramref name="threshold"/>: the mass left on small entries.</summary>
    public static double TailMass<T>(ReadOnlySpan<T> p, double threshold)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double mass = 0;
        foreach (T value in p)
        {
            double v = double.CreateTruncating(value);
            if (v < threshold)
            {
                mass += v;
            }
        }

        return mass;
    }

    /// <summary>Σ p minus the sum of the <paramref name="k"/> largest entries: the mass outside the top k.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is negative.</exception>
    public static double MassOutsideTopK<T>(ReadOnlySpan<T> p, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        double total = 0;
        foreach (T value in p)
        {
            total += double.CreateTruncating(value);
        }

        if (k >= p.Length)
        {
            return 0;
        }

        // Partial selection: keep the k largest seen so far in a small sorted buffer (k is small in practice).
        Span<double> top = k <= 64 ? stackalloc double[k] : new double[k];
        top.Fill(double.NegativeInfinity);
        foreach (T value in p)
        {
            double v = double.CreateTruncating(value);
            if (k == 0 || v <= top[k - 1])
            {
                continue;
            }

            int at = k - 1;
            while (at > 0 && top[at - 1] < v)
            {
                top[at] = top[at - 1];
                at--;
            }

            top[at] = v;
        }

        double kept = 0;
        foreach (double v in top)
        {
            kept += v;
        }

        return total - kept;
    }

    /// <summary>The number of entries with pᵢ ≥ <paramref name="share"/>: the modes that keep a significant share.</summary>
    public static int ModeCount<T>(ReadOnlySpan<T> p, double share)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int modes = 0;
        foreach (T value in p)
        {
            if (double.CreateTruncating(value) >= share)
            {
                modes++;
            }
        }

        return modes;
    }

    /// <summary>The second-largest entry over the largest (1: two equal modes; 0: one mode), or 0 for fewer than two entries or an all-zero row.</summary>
    public static double SecondToFirstRatio<T>(ReadOnlySpan<T> p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double first = 0, second = 0;
        foreach (T value in p)
        {
            double v = double.CreateTruncating(value);
            if (v > first)
            {
                (first, second) = (v, first);
            }
            else if (v > second)
            {
                second = v;
            }
        }

        return first > 0 ? second / first : 0;
    }

    /// <summary>The fraction of entries that are exactly 0: SoftMax never has any; sparse normalizers do.</summary>
    public static double ZeroFraction<T>(ReadOnlySpan<T> p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (p.IsEmpty)
        {
            return 0;
        }

        int zeros = 0;
        foreach (T value in p)
        {
            if (value == T.Zero)
            {
                zeros++;
            }
        }

        return (double)zeros / p.Length;
    }

    /// <summary>Every metric, averaged over the rows of <paramref name="probabilities"/>.</summary>
    /// <param name="probabilities">Rows of <paramref name="rowLength"/> probabilities, row-major.</param>
    /// <param name="rowLength">The number of entries in each row.</param>
    /// <param name="options">The thresholds; <see cref="MetricOptions.Default"/> when omitted.</param>
    /// <exception cref="ArgumentException">The row length is not positive or does not divide the length.</exception>
    public static DistributionSummary Summarize<T>(ReadOnlySpan<T> probabilities, int rowLength, MetricOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CompilerServices.NormalizerArguments.CheckRows(probabilities.Length, rowLength, nameof(probabilities), nameof(rowLength));
        MetricOptions o = options ?? MetricOptions.Default;
        int rows = probabilities.Length / rowLength;
        if (rows == 0)
        {
            return new DistributionSummary(0, 0, 0, 0, 0, 0);
        }

        double entropy = 0, tail = 0, outside = 0, modes = 0, ratio = 0, zeros = 0;
        for (int start = 0; start < probabilities.Length; start += rowLength)
        {
            ReadOnlySpan<T> row = probabilities.Slice(start, rowLength);
            entropy += Entropy(row);
            tail += TailMass(row, o.TailThreshold);
            outside += MassOutsideTopK(row, o.TopK);
            modes += ModeCount(row, o.ModeShare);
            ratio += SecondToFirstRatio(row);
            zeros += ZeroFraction(row);
        }

        return new DistributionSummary(entropy / rows, tail / rows, outside / rows, zeros / rows, modes / rows, ratio / rows);
    }
}

/// <summary>The thresholds of <see cref="DistributionMetrics.Summarize"/>.</summary>
/// <param name="TailThreshold">Entries below this probability count as the tail (default 0.01).</param>
/// <param name="TopK">The k of the mass outside the top k (default 3).</param>
/// <param name="ModeShare">The share an entry must hold to count as a mode (default 0.1).</param>
public sealed record MetricOptions(double TailThreshold = 0.01, int TopK = 3, double ModeShare = 0.1)
{
    /// <summary>Tail below 0.01, top 3, modes at 0.1 or more.</summary>
    public static MetricOptions Default { get; } = new();
}

/// <summary>Row averages of the metrics of <see cref="DistributionMetrics"/>.</summary>
/// <param name="Entropy">Mean entropy in nats.</param>
/// <param name="TailMass">Mean mass on entries below the tail threshold.</param>
/// <param name="MassOutsideTopK">Mean mass outside the k largest entries.</param>
/// <param name="ZeroFraction">Mean fraction of entries that are exactly 0.</param>
/// <param name="Modes">Mean number of entries holding at least the mode share.</param>
/// <param name="SecondToFirst">Mean ratio of the second-largest entry to the largest.</param>
public sealed record DistributionSummary(
    double Entropy, double TailMass, double MassOutsideTopK, double ZeroFraction, double Modes, double SecondToFirst);
