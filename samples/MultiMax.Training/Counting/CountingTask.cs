using System;
using static TorchSharp.torch;

namespace MultiMax.Training.Counting;

/// <summary>
/// The synthetic task: a sequence holds a [CLS] token, <see cref="Digits"/> digit tokens (values 0–4) at random
/// places, and noise tokens everywhere else. The label is the sum of the digits. To answer from the [CLS] position,
/// attention must keep every digit — several relevant tokens, each a mode — and ignore the many noise tokens, whose
/// embeddings otherwise leak into the average it reads.
/// </summary>
public sealed class CountingTask
{
    public const int Digits = 4;
    public const int DigitValues = 5;
    public const int NoiseTokens = 32;

    /// <summary>Token ids: noise 0–31, digits 32–36, [CLS] 37.</summary>
    public const int Cls = NoiseTokens + DigitValues;

    public const int Vocabulary = Cls + 1;

    /// <summary>Sums 0 .. Digits·(DigitValues − 1).</summary>
    public const int Classes = Digits * (DigitValues - 1) + 1;

    public CountingTask(int length) => Length = length;

    /// <summary>Tokens per sequence, [CLS] included.</summary>
    public int Length { get; }

    /// <summary><paramref name="count"/> examples: tokens [count, Length] (int64), labels [count], and which tokens are digits.</summary>
    public (Tensor Tokens, Tensor Labels, Tensor IsDigit) Sample(int count, Random random)
    {
        var tokens = new long[count * Length];
        var labels = new long[count];
        var isDigit = new bool[count * Length];
        var positions = new int[Length - 1];
        for (int example = 0; example < count; example++)
        {
            int row = example * Length;
            tokens[row] = Cls;
            for (int i = 1; i < Length; i++)
            {
                tokens[row + i] = random.Next(NoiseTokens);
                positions[i - 1] = i;
            }

            random.Shuffle(positions);
            for (int d = 0; d < Digits; d++)
            {
                int value = random.Next(DigitValues);
                tokens[row + positions[d]] = NoiseTokens + value;
                isDigit[row + positions[d]] = true;
                labels[example] += value;
            }
        }

        return (tensor(tokens).view(count, Length), tensor(labels), tensor(isDigit).view(count, Length));
    }
}
