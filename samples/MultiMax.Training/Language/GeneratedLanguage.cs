using System;
using System.Collections.Generic;
using System.Linq;

namespace MultiMax.Training.Language;

/// <summary>
/// A small generated language whose next-token distribution is known exactly at every position, so that a model's
/// predictions can be graded against the truth and not only against samples:
/// <code>
/// sentence := NP_subject VERB NP_object [PREPOSITION NP] "."      noun phrase := DETERMINER [ADJECTIVE] NOUN
/// </code>
/// Nouns come in <see cref="NounClasses"/> classes and the verb agrees with the subject's class, a dependency that
/// reaches over the optional adjective. Within each word class the words follow a Zipf law, so every next-token
/// distribution has a few frequent words (several modes) and a long tail, and most of the vocabulary is impossible at
/// any one position: the mass a model puts there is the "residual noise" MultiMax sets out to remove.
/// </summary>
/// <remarks>
/// The generator walks a small state machine whose state is a function of the tokens so far (every word belongs to
/// one class), so the state a position's next token is drawn from — its <em>context</em> — is what an ideal model
/// could infer from the prefix, and the entropy of that context's distribution is the lowest loss any model can reach.
/// </remarks>
public sealed class GeneratedLanguage
{
    public const int NounClasses = 8;
    private const int Determiners = 8, Adjectives = 256, NounsPerClass = 128, VerbsPerClass = 64, Prepositions = 16;
    private const double AdjectiveProbability = 0.4, PrepositionProbability = 0.3, ZipfExponent = 1.1;

    /// <summary>"." ends every sentence and opens every sequence.</summary>
    public const int Stop = 0;

    private readonly WordKind[] kinds;
    private readonly int[] nounClass;
    private readonly double[][] cumulative;

    /// <summary>The language: its words are fixed, but which word of a class is frequent is drawn from <paramref name="seed"/>.</summary>
    public GeneratedLanguage(int seed)
    {
        var random = new Random(seed);
        var kindList = new List<WordKind> { WordKind.Stop };
        var classList = new List<int> { -1 };
        int[] Words(WordKind kind, int count, int cls = -1)
        {
            int first = kindList.Count;
            kindList.AddRange(Enumerable.Repeat(kind, count));
            classList.AddRange(Enumerable.Repeat(cls, count));
            return Enumerable.Range(first, count).ToArray();
        }

        int[] determiners = Words(WordKind.Determiner, Determiners);
        int[] adjectives = Words(WordKind.Adjective, Adjectives);
        int[] prepositions = Words(WordKind.Preposition, Prepositions);
        int[][] nouns = Enumerable.Range(0, NounClasses).Select(c => Words(WordKind.Noun, NounsPerClass, c)).ToArray();
        int[][] verbs = Enumerable.Range(0, NounClasses).Select(c => Words(WordKind.Verb, VerbsPerClass, c)).ToArray();
        kinds = kindList.ToArray();
        nounClass = classList.ToArray();
        Vocabulary = kinds.Length;

        // One row of true next-token probabilities per context (see Context).
        Probabilities = new double[Contexts][];
        double[] Row(params (int[] Words, double Mass)[] parts)
        {
            var row = new double[Vocabulary];
            foreach ((int[] words, double mass) in parts)
            {
                double[] zipf = Zipf(words.Length);
                int[] order = words.OrderBy(_ => random.Next()).ToArray(); // which words of the class are frequent
                for (int r = 0; r < order.Length; r++)
                {
                    row[order[r]] += mass * zipf[r];
                }
            }

            return row;
        }

        (int[], double)[] AnyNoun(double mass) => nouns.Select(n => (n, mass / NounClasses)).ToArray();
        Probabilities[Context.ExpectDeterminer] = Row((determiners, 1));
        Probabilities[Context.AfterDeterminer] = Row(AnyNoun(1 - AdjectiveProbability).Append((adjectives, AdjectiveProbability)).ToArray());
        Probabilities[Context.AfterAdjective] = Row(AnyNoun(1));
        Probabilities[Context.AfterObject] = Row((new[] { Stop }, 1 - PrepositionProbability), (prepositions, PrepositionProbability));
        Probabilities[Context.AfterLastNoun] = Row((new[] { Stop }, 1));
        for (int c = 0; c < NounClasses; c++)
        {
            Probabilities[Context.AfterSubject + c] = Row((verbs[c], 1));
        }

        cumulative = Probabilities.Select(row =>
        {
            double sum = 0;
            return row.Select(p => sum += p).ToArray();
        }).ToArray();
        Entropy = Probabilities.Select(row => -row.Where(p => p > 0).Sum(p => p * Math.Log(p))).ToArray();
    }

    /// <summary>Number of distinct next-token distributions.</summary>
    public static int Contexts => Context.AfterSubject + NounClasses;

    /// <summary>Number of tokens: ".", 8 determiners, 256 adjectives, 16 prepositions, 8 × 128 nouns, 8 × 64 verbs.</summary>
    public int Vocabulary { get; }

    /// <summary>[context][token]: the true probability of the next token in each context.</summary>
    public double[][] Probabilities { get; }

    /// <summary>[context]: the entropy of its distribution in nats, the least loss a model can have there.</summary>
    public double[] Entropy { get; }

    /// <summary>
    /// <paramref name="count"/> sequences of <paramref name="length"/> + 1 tokens, each opening with "." at a sentence
    /// start, row-major; and for each of the first <paramref name="length"/> positions of a sequence, the context its
    /// next token was drawn from.
    /// </summary>
    public (long[] Tokens, int[] Contexts) Sample(int count, int length, Random random)
    {
        var tokens = new long[count * (length + 1)];
        var contexts = new int[count * length];
        for (int s = 0; s < count; s++)
        {
            var walk = new Walk();
            tokens[s * (length + 1)] = Stop;
            for (int i = 0; i < length; i++)
            {
                int context = walk.Context;
                int token = Draw(context, random.NextDouble());
                contexts[s * length + i] = context;
                tokens[s * (length + 1) + i + 1] = token;
                walk.Advance(kinds[token], nounClass[token]);
            }
        }

        return (tokens, contexts);
    }

    /// <summary>The token whose share of the context's cumulative distribution holds <paramref name="u"/> ∈ [0, 1).</summary>
    private int Draw(int context, double u)
    {
        double[] sums = cumulative[context];
        double target = u * sums[^1];
        int low = 0, high = sums.Length - 1;
        while (low < high)
        {
            int middle = (low + high) / 2;
            (low, high) = sums[middle] > target ? (low, middle) : (middle + 1, high);
        }

        // Only when rounding put the target at the very top can the search land on an impossible token: step back.
        while (Probabilities[context][low] == 0)
        {
            low--;
        }

        return low;
    }

    private static double[] Zipf(int count)
    {
        double[] weights = Enumerable.Range(1, count).Select(r => Math.Pow(r, -ZipfExponent)).ToArray();
        double total = weights.Sum();
        return weights.Select(w => w / total).ToArray();
    }

    private enum WordKind
    {
        Stop,
        Determiner,
        Adjective,
        Noun,
        Verb,
        Preposition,
    }

    /// <summary>The distributions the next token is drawn from, by what the prefix has shown.</summary>
    private static class Context
    {
        public const int ExpectDeterminer = 0;  // a sentence start, or after a verb or a preposition
        public const int AfterDeterminer = 1;   // an adjective or a noun of any class
        public const int AfterAdjective = 2;    // a noun of any class
        public const int AfterObject = 3;       // a preposition or "."
        public const int AfterLastNoun = 4;     // "."
        public const int AfterSubject = 5;      // + the subject's class: a verb of that class
    }

    private enum Phrase
    {
        Subject,
        Object,
        Prepositional,
    }

    /// <summary>The generator's state: which noun phrase it is in, and what the last token allows next.</summary>
    private struct Walk
    {
        private Phrase phrase;

        public Walk() => Context = GeneratedLanguage.Context.ExpectDeterminer;

        public int Context { get; private set; }

        public void Advance(WordKind kind, int cls)
        {
            switch (kind)
            {
                case WordKind.Determiner:
                    Context = GeneratedLanguage.Context.AfterDeterminer;
                    break;
                case WordKind.Adjective:
                    Context = GeneratedLanguage.Context.AfterAdjective;
                    break;
                case WordKind.Noun:
                    Context = phrase switch
                    {
                        Phrase.Subject => GeneratedLanguage.Context.AfterSubject + cls,
                        Phrase.Object => GeneratedLanguage.Context.AfterObject,
                        _ => GeneratedLanguage.Context.AfterLastNoun,
                    };
                    break;
                case WordKind.Verb:
                    (phrase, Context) = (Phrase.Object, GeneratedLanguage.Context.ExpectDeterminer);
                    break;
                case WordKind.Preposition:
                    (phrase, Context) = (Phrase.Prepositional, GeneratedLanguage.Context.ExpectDeterminer);
                    break;
                default:
                    (phrase, Context) = (Phrase.Subject, GeneratedLanguage.Context.ExpectDeterminer);
                    break;
            }
        }
    }
}
