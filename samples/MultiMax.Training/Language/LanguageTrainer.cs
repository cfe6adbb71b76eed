using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using MultiMax.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MultiMax.Training.Language;

/// <summary>Sizes and budget of one comparison; both runs use all of it.</summary>
public sealed record LanguageOptions(
    int Epochs, int Seed, int TrainSequences = 4096, int TestSequences = 512, int BatchSize = 32,
    int Length = 64, int Width = 64, int Heads = 4, int Layers = 2, double LearningRate = 3e-3)
{
    public int StepsPerEpoch => TrainSequences / BatchSize;

    public int Steps => Epochs * StepsPerEpoch;
}

/// <summary>What one run learned, graded on the held-out set against the language's true next-token distributions.</summary>
/// <param name="TestLoss">Mean next-token cross-entropy on the held-out tokens, in nats.</param>
/// <param name="Divergence">Mean KL(truth ‖ model) over the held-out positions: the loss above the best possible, exactly.</param>
/// <param name="ImpossibleMass">Mean probability the model puts on tokens that cannot come next.</param>
/// <param name="Modulator">The output layer's learned (ts, ranges), or none for SoftMax.</param>
public sealed record LanguageResult(
    string Name, IReadOnlyList<float> StepLosses, double TestLoss, double Divergence, double ImpossibleMass,
    (double[] Ts, double[] Ranges)? Modulator, TimeSpan Elapsed);

/// <summary>Trains and evaluates one language model; the data and every initial weight outside the output normalizer are shared.</summary>
public static class LanguageTrainer
{
    private const double WeightDecay = 0.01;

    public static LanguageResult Run(string name, NormalizerKind outputNormalizer, LanguageOptions options, LanguageData data, Action<int, float> onStep)
    {
        // The normalizer draws its parameters from its own seed, so that every other weight starts the same in both runs.
        manual_seed(options.Seed + 1);
        nn.Module<Tensor, Tensor> normalizer = TorchNormalizers.Create(outputNormalizer);
        manual_seed(options.Seed);
        var model = new CausalLanguageModel(data.Language.Vocabulary, options.Length, options.Width, options.Heads, options.Layers, normalizer);

        // The authors' practice for MultiMax in the output layer: no weight decay on its parameters (decay pulls σ back
        // to the identity, that is to SoftMax), and a clipped gradient norm (their gradients are sums over the whole
        // vocabulary).
        var optimizer = optim.AdamW(MultiMaxParameters.AdamWGroups(model, WeightDecay), options.LearningRate);
        var schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, options.Steps);
        var order = new Random(options.Seed);
        var training = new TrainingStep(model, optimizer, schedule, onStep);
        var clock = Stopwatch.StartNew();

        model.train();
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            using Tensor permutation = TrainingStep.Shuffled(options.TrainSequences, order);
            for (int step = 0; step < options.StepsPerEpoch; step++)
            {
                using var scope = NewDisposeScope();
                Tensor batch = data.TrainTokens[permutation.narrow(0, step * options.BatchSize, options.BatchSize)];
                Tensor loss = model.Loss(batch.narrow(1, 0, options.Length), batch.narrow(1, 1, options.Length));
                training.Take(loss);
            }
        }

        clock.Stop();
        return Evaluate(name, model, options, data, training.Losses, clock.Elapsed);
    }

    private static LanguageResult Evaluate(
        string name, CausalLanguageModel model, LanguageOptions options, LanguageData data, List<float> losses, TimeSpan elapsed)
    {
        model.eval();
        using var noGrad = no_grad();
        double loss = 0, divergence = 0, impossible = 0;
        const int Batch = 64;
        for (int first = 0; first < options.TestSequences; first += Batch)
        {
            using var scope = NewDisposeScope();
            int count = Math.Min(Batch, options.TestSequences - first);
            Tensor batch = data.TestTokens.narrow(0, first, count);
            Tensor input = batch.narrow(1, 0, options.Length), targets = batch.narrow(1, 1, options.Length);
            Tensor contexts = data.TestContexts.narrow(0, first, count);

            // The fused loss, as in training; then the full distributions, to grade against the truth.
            loss += model.Loss(input, targets).ToDouble() * count;
            Tensor logP = model.LogProbabilities(input).to(ScalarType.Float64);
            Tensor truth = data.Truth[contexts];
            Tensor crossEntropy = -where(truth.gt(0), truth * logP, zeros_like(logP)).sum(-1);
            divergence += (crossEntropy - data.Entropy[contexts]).sum().ToDouble();
            impossible += (logP.exp() * truth.eq(0)).sum().ToDouble();
        }

        long positions = (long)options.TestSequences * options.Length;
        (double[], double[])? modulator = model.Output.Normalizer is TorchNormalizers.MultiMax2Module m ? (Values(m.ts), Values(m.ranges)) : null;
        return new LanguageResult(name, losses, loss / options.TestSequences, divergence / positions, impossible / positions, modulator, elapsed);
    }

    private static double[] Values(Tensor t) => t.detach().to(ScalarType.Float64).contiguous().data<double>().ToArray();
}

/// <summary>The language, and the training and test sets drawn once from the seed and shared by both runs.</summary>
/// <param name="TrainTokens">[sequences, length + 1] int64: inputs are the first length tokens, targets the last.</param>
/// <param name="TestContexts">[sequences, length] int64: the context each held-out target was drawn from.</param>
/// <param name="Truth">[contexts, vocabulary] float64: the true next-token probabilities.</param>
/// <param name="Entropy">[contexts] float64: their entropies.</param>
public sealed record LanguageData(GeneratedLanguage Language, Tensor TrainTokens, Tensor TestTokens, Tensor TestContexts, Tensor Truth, Tensor Entropy)
{
    public static LanguageData Create(LanguageOptions options)
    {
        var language = new GeneratedLanguage(options.Seed);
        var random = new Random(options.Seed);
        (long[] train, _) = language.Sample(options.TrainSequences, options.Length, random);
        (long[] test, int[] contexts) = language.Sample(options.TestSequences, options.Length, random);
        return new LanguageData(
            language,
            tensor(train).view(options.TrainSequences, options.Length + 1),
            tensor(test).view(options.TestSequences, options.Length + 1),
            tensor(contexts.Select(c => (long)c).ToArray()).view(options.TestSequences, options.Length),
            tensor(language.Probabilities.SelectMany(row => row).ToArray()).view(GeneratedLanguage.Contexts, language.Vocabulary),
            tensor(language.Entropy));
    }

    /// <summary>Mean entropy of the held-out positions' true distributions: the least test loss any model can expect.</summary>
    public double Floor
    {
        get
        {
            using var scope = NewDisposeScope();
            return Entropy[TestContexts].mean().ToDouble();
        }
    }
}
