using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace MultiMax.Training;

/// <summary>
/// What every demo's training loop does the same way: one epoch's data order, and one optimizer step with the
/// gradient norm clipped, the schedule advanced, and the loss recorded and reported.
/// </summary>
public sealed class TrainingStep(nn.Module model, optim.Optimizer optimizer, optim.lr_scheduler.LRScheduler schedule, Action<int, float> onStep)
{
    /// <summary>The gradient norm every demo clips to.</summary>
    public const double MaxGradientNorm = 1.0;

    /// <summary>The loss of every step so far, in order.</summary>
    public List<float> Losses { get; } = new();

    /// <summary>The indices 0 … count − 1 in an order drawn from <paramref name="order"/>: one epoch's data order.</summary>
    public static Tensor Shuffled(int count, Random order) =>
        tensor(Enumerable.Range(0, count).OrderBy(_ => order.Next()).Select(i => (long)i).ToArray());

    /// <summary>Back-propagates <paramref name="loss"/>, clips the gradient norm, steps the optimizer and the schedule.</summary>
    public void Take(Tensor loss)
    {
        optimizer.zero_grad();
        loss.backward();
        nn.utils.clip_grad_norm_(model.parameters(), MaxGradientNorm);
        optimizer.step();
        schedule.step();
        Losses.Add(loss.ToSingle());
        onStep(Losses.Count, Losses[^1]);
    }
}
