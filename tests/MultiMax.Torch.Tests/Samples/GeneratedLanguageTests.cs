using System;
using System.Linq;
using MultiMax.Training.Language;
using Xunit;

namespace MultiMax.Torch.Tests.Samples;

/// <summary>
/// The language-model demo grades models against <see cref="GeneratedLanguage.Probabilities"/>: these tests check
/// that the tokens it samples really follow those distributions, so that the grades mean what they say.
/// </summary>
public sealed class GeneratedLanguageTests
{
    private static readonly GeneratedLanguage Language = new(seed: 3);

    [Fact]
    public void EveryContextIsADistributionWithItsEntropy()
    {
        Assert.Equal(GeneratedLanguage.Contexts, Language.Probabilities.Length);
        for (int c = 0; c < GeneratedLanguage.Contexts; c++)
        {
            double[] row = Language.Probabilities[c];
            Assert.Equal(Language.Vocabulary, row.Length);
            Assert.All(row, p => Assert.True(p >= 0));
            Assert.Equal(1.0, row.Sum(), 12);
            double entropy = 0;
            foreach (double p in row.Where(p => p > 0))
            {
                entropy -= p * Math.Log(p);
            }

            Assert.Equal(entropy, Language.Entropy[c], 12);
        }
    }

    [Fact]
    public void SampledTokensFollowTheirContextsDistributions()
    {
        const int Sequences = 2000, Length = 64;
        (long[] tokens, int[] contexts) = Language.Sample(Sequences, Length, new Random(5));
        var counts = new double[GeneratedLanguage.Contexts, Language.Vocabulary];
        var totals = new double[GeneratedLanguage.Contexts];
        for (int s = 0; s < Sequences; s++)
        {
            Assert.Equal(GeneratedLanguage.Stop, tokens[s * (Length + 1)]);
            for (int i = 0; i < Length; i++)
            {
                int context = contexts[s * Length + i];
                long next = tokens[s * (Length + 1) + i + 1];
                Assert.True(Language.Probabilities[context][next] > 0, $"token {next} is impossible in context {context}");
                counts[context, next]++;
                totals[context]++;
            }
        }

        // Every frequent token's share, and the tail's share as a whole, within 5 standard errors of its probability.
        int checkedContexts = 0;
        for (int c = 0; c < GeneratedLanguage.Contexts; c++)
        {
            if (totals[c] < 1000)
            {
                continue;
            }

            checkedContexts++;
            double n = totals[c], tailProbability = 0, tailCount = 0;
            for (int v = 0; v < Language.Vocabulary; v++)
            {
                double p = Language.Probabilities[c][v];
                if (p >= 0.01)
                {
                    AssertShare(c, $"token {v}", counts[c, v], n, p);
                }
                else
                {
                    (tailProbability, tailCount) = (tailProbability + p, tailCount + counts[c, v]);
                }
            }

            AssertShare(c, "the tail", tailCount, n, tailProbability);
        }

        Assert.True(checkedContexts == GeneratedLanguage.Contexts, $"only {checkedContexts} contexts were sampled often enough to check");
    }

    private static void AssertShare(int context, string what, double count, double n, double probability)
    {
        double error = 5 * Math.Sqrt(probability * (1 - probability) / n) + 1e-12;
        Assert.True(Math.Abs(count / n - probability) <= error, $"context {context}, {what}: share {count / n:0.0000} over {n} samples, probability {probability:0.0000}");
    }

    [Fact]
    public void TheSameSeedGivesTheSameLanguageAndData()
    {
        var again = new GeneratedLanguage(seed: 3);
        Assert.Equal(Language.Probabilities.SelectMany(r => r), again.Probabilities.SelectMany(r => r));
        Assert.Equal(Language.Sample(4, 16, new Random(1)).Tokens, again.Sample(4, 16, new Random(1)).Tokens);
        Assert.NotEqual(Language.Probabilities.SelectMany(r => r), new GeneratedLanguage(seed: 4).Probabilities.SelectMany(r => r));
    }
}
