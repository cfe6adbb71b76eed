using System;
using MultiMax.Torch.CompilerServices;
using TorchSharp;
using static MultiMax.Torch.CompilerServices.TensorArguments;
using static TorchSharp.torch;

namespace MultiMax.Torch;

/// <summary>
/// An output layer's loss — linear map, normalizer, log and negative log-likelihood — fused when the normalizer is a
/// generated <c>&lt;Name&gt;Module</c> and the tensors are CPU float32 or float64: the [tokens × vocab] logits are then
/// never materialized, in the forward or the backward.
/// </summary>
public static class FusedCrossEntropy
{
    /// <summary>
    /// The mean, over the tokens whose target is not <paramref name="ignoreIndex"/>, of
    /// <c>−log SoftMax(σ(hidden·weightᵀ + bias))[target]</c>; autograd reaches hidden, weight, bias and the normalizer's
    /// own parameters. With every target ignored the loss is 0 (and so is every gradient), not NaN.
    /// </summary>
    /// <param name="hidden">[tokens, dim].</param>
    /// <param name="weight">[vocab, dim], as <c>nn.Linear(dim, vocab)</c> holds it.</param>
    /// <param name="targets">[tokens], int64: a class in [0, vocab), or <paramref name="ignoreIndex"/>.</param>
    /// <param name="normalizer">
    /// A generated <c>&lt;Name&gt;Module</c> runs fused on CPU float32/float64 tensors and, on any other device or dtype,
    /// its formula's log-probabilities (whatever its declared output). Any other module runs on the materialized logits,
    /// its output taken as probabilities.
    /// </param>
    /// <param name="bias">[vocab], or null. A bias of −∞ forbids a class: probability 0, gradient 0.</param>
    /// <param name="ignoreIndex">A target that leaves its token out of the loss and its mean.</param>
    /// <returns>A scalar of hidden's dtype.</returns>
    /// <exception cref="ArgumentException">The shapes, dtypes or devices do not fit together, or a target is out of range.</exception>
    public static Tensor Loss(Tensor hidden, Tensor weight, Tensor targets,
        nn.Module<Tensor, Tensor> normalizer, Tensor? bias = null, long ignoreIndex = -100)
    {
        ArgumentNullException.ThrowIfNull(normalizer);
        CrossEntropyShape shape = CheckArguments(hidden, weight, targets, bias, ignoreIndex);
        if (normalizer is IFusedNormalizer fused && FusedCrossEntropyFunction.CanRun(fused, hidden, weight, shape))
        {
            using Tensor? parameters = fused.ParameterVector(hidden.dtype);
            bool gradients = is_grad_enabled() && (hidden.requires_grad || weight.requires_grad
                || bias is { requires_grad: true } || parameters is { requires_grad: true });
            var call = new FusedCrossEntropyFunction.Call(fused, shape, Targets(targets), ignoreIndex, bias is not null, parameters is not null, gradients);
            return FusedCrossEntropyFunction.apply(hidden, weight, bias!, parameters!, call);
        }

        if (normalizer is IFusedNormalizer formula)
        {
            using Tensor? parameters = formula.ParameterVector(hidden.dtype);
            return Materialized(hidden, weight, bias, targets, ignoreIndex, logits => formula.Formula(logits, parameters, logarithm: true));
        }

        return Materialized(hidden, weight, bias, targets, ignoreIndex, logits => normalizer.forward(logits).log());
    }

    /// <summary>The loss from the whole [tokens × vocab] logits, log-normalized by <paramref name="logNormalize"/>: the unfused path.</summary>
    internal static Tensor Materialized(
        Tensor hidden, Tensor weight, Tensor? bias, Tensor targets, long ignoreIndex, Func<Tensor, Tensor> logNormalize)
    {
        using var scope = NewDisposeScope();
        Tensor logProbabilities = logNormalize(nn.functional.linear(hidden, weight, bias));
        Tensor ignored = targets.eq(ignoreIndex).to(hidden.device);
        Tensor picked = logProbabilities.gather(1, targets.to(hidden.device).masked_fill(ignored, 0).unsqueeze(1)).squeeze(1);
        // masked_fill, not a product: an ignored token's log-probability may be −∞ or NaN, and 0·∞ is NaN.
        Tensor total = picked.masked_fill(ignored, 0).sum().neg();
        Tensor counted = ignored.logical_not().sum().clamp_min(1).to(hidden.dtype);
        return total.div(counted).MoveToOuterDisposeScope();
    }

    private static CrossEntropyShape CheckArguments(Tensor hidden, Tensor weight, Tensor targets, Tensor? bias, long ignoreIndex)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(targets);
        if (hidden.dim() != 2 || weight.dim() != 2 || hidden.shape[1] != weight.shape[1])
        {
            throw new ArgumentException(
                $"hidden must be [tokens, dim] and weight [vocab, dim] with the same dim, but their shapes are {Shape(hidden)} and {Shape(weight)}.", nameof(weight));
        }

        if (targets.dim() != 1 || targets.shape[0] != hidden.shape[0] || targets.dtype != ScalarType.Int64)
        {
            throw new ArgumentException(
                $"targets must be int64 [tokens] = [{hidden.shape[0]}], but it is {targets.dtype} {Shape(targets)}.", nameof(targets));
        }

        if (bias is not null && (bias.dim() != 1 || bias.shape[0] != weight.shape[0]))
        {
            throw new ArgumentException($"bias must be [vocab] = [{weight.shape[0]}], but it is {Shape(bias)}.", nameof(bias));
        }

        if (!hidden.is_floating_point() || weight.dtype != hidden.dtype || (bias is not null && bias.dtype != hidden.dtype))
        {
            throw new ArgumentException(
                $"hidden, weight and bias must share one floating-point dtype, but they are {hidden.dtype}, {weight.dtype}{(bias is null ? "" : " and " + bias.dtype)}.", nameof(weight));
        }

        if (!SameDevice(weight, hidden) || (bias is not null && !SameDevice(bias, hidden)))
        {
            throw new ArgumentException($"hidden, weight and bias must be on one device, but hidden is on {hidden.device} and weight on {weight.device}.", nameof(weight));
        }

        long vocab = weight.shape[0];
        if (vocab == 0)
        {
            throw new ArgumentException($"weight must have at least one class, but it is {Shape(weight)}.", nameof(weight));
        }

        using (no_grad())
        {
            using Tensor counted = targets.ne(ignoreIndex);
            using Tensor outOfRange = targets.lt(0).logical_or(targets.ge(vocab)).logical_and(counted);
            if (outOfRange.any().item<bool>())
            {
                using Tensor first = outOfRange.nonzero()[0, 0];
                long index = first.item<long>();
                throw new ArgumentOutOfRangeException(nameof(targets),
                    $"targets[{index}] is {targets[index].item<long>()}: a target must be a class in [0, {vocab}) or the ignore index {ignoreIndex}.");
            }
        }

        return new CrossEntropyShape(Fit(hidden.shape[0]), Fit(hidden.shape[1]), Fit(vocab));
    }

    /// <summary>A managed copy of the targets: the fused kernels read them, and the device tensor may change afterwards.</summary>
    private static long[] Targets(Tensor targets)
    {
        using Tensor flat = targets.cpu().contiguous();
        return flat.data<long>().ToArray();
    }
}
