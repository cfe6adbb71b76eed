using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using MultiMax.Analysis;
using MultiMax.Torch;
using MultiMax.Training;
using MultiMax.Vision.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace MultiMax.Vision;

/// <summary>The model and its training budget; every run of a comparison uses all of it.</summary>
public sealed record VisionOptions(
    int Epochs, int TrainSize, int BatchSize = 128, int Width = 64, int Heads = 4, int Layers = 4, int Patch = 4,
    double LearningRate = 2e-3, double WeightDecay = 0.05)
{
    public int StepsPerEpoch(long trainCount) => (int)((Math.Min(TrainSize, trainCount) + BatchSize - 1) / BatchSize);
}

/// <summary>What one run learned, measured on the test set.</summary>
/// <param name="EpochAccuracy">Test accuracy after each epoch.</param>
/// <param name="Cls">Per layer, the [CLS] query's attention over all tokens, summarized (mean over images and heads).</param>
/// <param name="ClsWeights">Per layer, the [CLS] query's attention weights on the patches (256 images, every head), for histograms.</param>
/// <param name="Maps">For each of the first images of the test set, the last layer's [CLS] attention on each patch, mean over heads.</param>
/// <param name="Modulators">Per layer, the learned (ts, ranges) of MultiMax; empty for SoftMax.</param>
public sealed record VisionResult(
    string Name, int Seed, IReadOnlyList<float> StepLosses, double[] EpochAccuracy, double TestLoss, double TestAccuracy,
    DistributionSummary[] Cls, double[][] ClsWeights, double[][] Maps, IReadOnlyList<(double[] Ts, double[] Ranges)> Modulators,
    TimeSpan Elapsed);

/// <summary>Trains and tests one vision transformer; within a seed, the data order and every weight outside the normalizers are shared.</summary>
public static class VisionTrainer
{
    /// <summary>How the [CLS] rows are summarized: mass below 1 %, mass outside the top 3 keys, keys with at least 10 %.</summary>
    public static readonly MetricOptions ClsMetrics = new(TailThreshold: 0.01, TopK: 3, ModeShare: 0.1);

    /// <summary>How many test images the attention-map figure shows.</summary>
    public const int MapImages = 8;

    public static VisionResult Run(string name, NormalizerKind kind, int seed, VisionOptions options, ImageSet train, ImageSet test, Action<int, float> onStep)
    {
        ImageSet used = train.Take(options.TrainSize);
        // The normalizers draw their parameters from their own seed, so that every other weight starts the same in
        // both runs: SoftMax draws nothing, MultiMax 8 numbers per layer.
        manual_seed(seed + 1);
        var normalizers = Enumerable.Range(0, options.Layers).Select(_ => TorchNormalizers.Create(kind)).ToList();
        manual_seed(seed);
        var model = new VisionTransformer(FashionMnist.Side, options.Patch, options.Width, options.Heads, FashionMnist.ClassNames.Length, normalizers);
        // The authors' practice: no weight decay on the MultiMax parameters, which decay would pull back to SoftMax.
        var optimizer = optim.AdamW(MultiMaxParameters.AdamWGroups(model, options.WeightDecay), options.LearningRate);
        int stepsPerEpoch = options.StepsPerEpoch(used.Count);
        var schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, options.Epochs * stepsPerEpoch);
        var order = new Random(seed);
        var training = new TrainingStep(model, optimizer, schedule, onStep);
        var epochAccuracy = new double[options.Epochs];
        var clock = Stopwatch.StartNew();

        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            model.train();
            using Tensor permutation = TrainingStep.Shuffled((int)used.Count, order);
            for (int step = 0; step < stepsPerEpoch; step++)
            {
                using var scope = NewDisposeScope();
                long start = (long)step * options.BatchSize;
                Tensor batch = permutation.narrow(0, start, Math.Min(options.BatchSize, used.Count - start));
                Tensor loss = nn.functional.cross_entropy(model.forward(used.Images[batch]), used.Labels[batch]);
                training.Take(loss);
            }

            epochAccuracy[epoch] = Test(model, test).Accuracy;
        }

        clock.Stop();
        (double testLoss, double accuracy) = Test(model, test);
        (DistributionSummary[] cls, double[][] clsWeights, double[][] maps) = Attention(model, test);
        var modulators = model.Attention
            .Select(a => a.Normalizer is TorchNormalizers.MultiMax2Module m ? (Values(m.ts), Values(m.ranges)) : (Array.Empty<double>(), Array.Empty<double>()))
            .Where(m => m.Item1.Length > 0)
            .ToList();
        return new VisionResult(name, seed, training.Losses, epochAccuracy, testLoss, accuracy, cls, clsWeights, maps, modulators, clock.Elapsed);
    }

    /// <summary>Mean cross-entropy and accuracy over the whole test set, in batches.</summary>
    private static (double Loss, double Accuracy) Test(VisionTransformer model, ImageSet test)
    {
        model.eval();
        using var noGrad = no_grad();
        double loss = 0, correct = 0;
        const int Batch = 1000;
        for (long start = 0; start < test.Count; start += Batch)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(Batch, test.Count - start);
            Tensor logits = model.forward(test.Images.narrow(0, start, count));
            Tensor labels = test.Labels.narrow(0, start, count);
            loss += nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).ToDouble();
            correct += logits.argmax(-1).eq(labels).sum().ToDouble();
        }

        return (loss / test.Count, correct / test.Count);
    }

    /// <summary>The [CLS] query's attention on the first 1 000 test images: per-layer summaries, weights for histograms, last-layer maps.</summary>
    private static (DistributionSummary[] Cls, double[][] Weights, double[][] Maps) Attention(VisionTransformer model, ImageSet test)
    {
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        (_, IReadOnlyList<Tensor> weights) = model.Run(test.Take(1000).Images);
        // Row 0 of each layer: the [CLS] query over [CLS] and every patch, [images, heads, tokens].
        Tensor[] cls = weights.Select(w => w.select(2, 0).to(ScalarType.Float64).contiguous()).ToArray();
        DistributionSummary[] summaries = cls
            .Select(c => DistributionMetrics.Summarize<double>(c.data<double>().ToArray(), (int)c.shape[2], ClsMetrics))
            .ToArray();
        long images = cls[0].shape[0], mapped = Math.Min(MapImages, images);
        double[][] histogram = cls.Select(c => Values(c.narrow(0, 0, Math.Min(256, images)).narrow(2, 1, model.Patches))).ToArray();
        Tensor last = cls[^1].narrow(0, 0, mapped).narrow(2, 1, model.Patches).mean(new long[] { 1 });
        double[][] maps = Enumerable.Range(0, (int)mapped).Select(i => Values(last[i])).ToArray();
        return (summaries, histogram, maps);
    }

    private static double[] Values(Tensor t) => t.detach().to(ScalarType.Float64).contiguous().data<double>().ToArray();
}
