using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using MultiMax.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MultiMax.Training.Counting;

/// <summary>Sizes and budget of one comparison; both runs use all of it.</summary>
public sealed record CountingOptions(
    int Epochs, int Seed, int TrainExamples = 8192, int TestExamples = 2048, int BatchSize = 64,
    int Length = 128, int Width = 32, int Heads = 2, int Layers = 2, double LearningRate = 3e-3)
{
    public int StepsPerEpoch => TrainExamples / BatchSize;

    public int Steps => Epochs * StepsPerEpoch;
}

/// <summary>What one run learned, measured on the held-out set.</summary>
/// <param name="NoiseMass">Per layer, the [CLS] query's attention on noise tokens (mean over examples and heads).</param>
/// <param name="DigitMass">Per layer, the [CLS] query's attention on the digits it must add.</param>
/// <param name="ModesKept">Per layer, how many keys get at least <see cref="CountingTrainer.ModeThreshold"/> of the [CLS] query's attention.</param>
/// <param name="ClsWeights">Per layer, the [CLS] query's attention weights on every other token (256 examples), for the histograms.</param>
/// <param name="Modulators">Per layer, the normalizer's learned (ts, ranges), or none for SoftMax.</param>
public sealed record CountingResult(
    string Name, IReadOnlyList<float> StepLosses, double TestLoss, double Accuracy, double[] NoiseMass, double[] DigitMass,
    double[] ModesKept, double[][] ClsWeights, IReadOnlyList<(double[] Ts, double[] Ranges)> Modulators, TimeSpan Elapsed);

/// <summary>Trains and evaluates one model; the data and every initial weight outside the normalizers are shared.</summary>
public static class CountingTrainer
{
    public const double ModeThreshold = 0.05;

    public static CountingResult Run(string name, NormalizerKind kind, CountingOptions options, CountingData data, Action<int, float> onStep)
    {
        // The normalizers draw their parameters from their own seed, so that every other weight starts the same in
        // both runs: SoftMax draws nothing, MultiMax draws 8 numbers per layer.
        manual_seed(options.Seed + 1);
        var normalizers = Enumerable.Range(0, options.Layers).Select(_ => TorchNormalizers.Create(kind)).ToList();
        manual_seed(options.Seed);
        var model = new TinyTransformer(CountingTask.Vocabulary, options.Width, options.Heads, CountingTask.Classes, normalizers);
        // The authors' practice: weight decay for every weight but the MultiMax parameters, which decay would pull back to SoftMax.
        var optimizer = optim.AdamW(MultiMaxParameters.AdamWGroups(model, weightDecay: 0.01), options.LearningRate);
        // Cosine decay and gradient clipping keep both runs free of the loss spikes a constant rate gives here, so
        // the comparison is of what each model learned, not of where a spike happened to fall.
        var schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, options.Steps);
        var order = new Random(options.Seed);
        var training = new TrainingStep(model, optimizer, schedule, onStep);
        var clock = Stopwatch.StartNew();

        model.train();
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            using Tensor permutation = TrainingStep.Shuffled(options.TrainExamples, order);
            for (int step = 0; step < options.StepsPerEpoch; step++)
            {
                // Every tensor of a step is freed when the step ends, not when the GC gets round to it.
                using var scope = NewDisposeScope();
                Tensor batch = permutation.narrow(0, step * options.BatchSize, options.BatchSize);
                Tensor loss = nn.functional.cross_entropy(model.forward(data.TrainTokens[batch]), data.TrainLabels[batch]);
                training.Take(loss);
            }
        }

        clock.Stop();
        return Evaluate(name, model, data, training.Losses, clock.Elapsed);
    }

    private static CountingResult Evaluate(string name, TinyTransformer model, CountingData data, List<float> losses, TimeSpan elapsed)
    {
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        (Tensor logits, IReadOnlyList<Tensor> weights) = model.Run(data.TestTokens);
        double testLoss = nn.functional.cross_entropy(logits, data.TestLabels).item<float>();
        double accuracy = logits.argmax(-1).eq(data.TestLabels).to(ScalarType.Float64).mean().item<double>();

        // Each layer's [CLS] query row: [examples, heads, keys], with [CLS] itself left out.
        long keys = data.TestTokens.shape[1] - 1;
        Tensor digit = data.TestIsDigit.narrow(1, 1, keys).unsqueeze(1).to(ScalarType.Float64);
        Tensor[] cls = weights.Select(w => w.select(2, 0).narrow(2, 1, keys).to(ScalarType.Float64)).ToArray();
        double[] noiseMass = cls.Select(c => (c * (1 - digit)).sum(-1).mean().item<double>()).ToArray();
        double[] digitMass = cls.Select(c => (c * digit).sum(-1).mean().item<double>()).ToArray();
        double[] modes = cls.Select(c => c.ge(ModeThreshold).sum(-1).to(ScalarType.Float64).mean().item<double>()).ToArray();
        double[][] histogram = cls.Select(c => Values(c.narrow(0, 0, Math.Min(256, c.shape[0])))).ToArray();

        var modulators = model.Attention
            .Select(a => a.Normalizer is TorchNormalizers.MultiMax2Module m ? (Values(m.ts), Values(m.ranges)) : (Array.Empty<double>(), Array.Empty<double>()))
            .Where(m => m.Item1.Length > 0)
            .ToList();
        return new CountingResult(name, losses, testLoss, accuracy, noiseMass, digitMass, modes, histogram, modulators, elapsed);
    }

    private static double[] Values(Tensor t) => t.detach().to(ScalarType.Float64).contiguous().data<double>().ToArray();
}

/// <summary>The training and test sets, drawn once from the seed and shared by both runs.</summary>
public sealed record CountingData(Tensor TrainTokens, Tensor TrainLabels, Tensor TestTokens, Tensor TestLabels, Tensor TestIsDigit)
{
    public static CountingData Create(CountingOptions options)
    {
        var task = new CountingTask(options.Length);
        var random = new Random(options.Seed);
        (Tensor trainTokens, Tensor trainLabels, _) = task.Sample(options.TrainExamples, random);
        (Tensor testTokens, Tensor testLabels, Tensor testIsDigit) = task.Sample(options.TestExamples, random);
        return new CountingData(trainTokens, trainLabels, testTokens, testLabels, testIsDigit);
    }
}
