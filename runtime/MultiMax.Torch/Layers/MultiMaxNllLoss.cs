using System;
using static TorchSharp.torch;

namespace MultiMax.Torch;

/// <summary>
/// An output layer's loss with MultiMax in place of SoftMax: the negative log-likelihood of the targets under
/// LogProbabilities MultiMax of the logits. The log-probabilities come straight from the fused log kernel (no
/// probabilities are formed and then logged), and the backward needs nothing else.
/// </summary>
public sealed class MultiMaxNllLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> logNormalizer;

    /// <summary>With the second-order LogProbabilities MultiMax, initialised as the reference code does.</summary>
    public MultiMaxNllLoss()
        : this(new TorchNormalizers.LogMultiMax2Module())
    {
    }

    /// <summary>With any LogProbabilities normalizer layer, e.g. a generated module declared with <c>Output = LogProbabilities</c>.</summary>
    /// <exception cref="ArgumentException">
    /// <paramref name="logNormalizer"/> is a generated module whose output is probabilities (its log-likelihood would be
    /// silently wrong): use its LogProbabilities twin, or <see cref="FusedCrossEntropy"/>, which takes either.
    /// </exception>
    public MultiMaxNllLoss(nn.Module<Tensor, Tensor> logNormalizer)
        : base(nameof(MultiMaxNllLoss))
    {
        ArgumentNullException.ThrowIfNull(logNormalizer);
        if (logNormalizer is CompilerServices.IFusedNormalizer { LogProbabilities: false })
        {
            throw new ArgumentException(
                $"{logNormalizer.GetType().Name} gives probabilities, not log-probabilities: the loss needs a normalizer declared with " +
                "Output = LogProbabilities (LogMultiMax2Module for MultiMax2Module), or FusedCrossEntropy, which takes either.", nameof(logNormalizer));
        }

        this.logNormalizer = logNormalizer;
        RegisterComponents();
    }

    /// <summary>The log-normalizer, e.g. to read its learned parameters.</summary>
    public nn.Module<Tensor, Tensor> LogNormalizer => logNormalizer;

    /// <summary>Log-probabilities of the classes along the last axis of <paramref name="logits"/>.</summary>
    public Tensor LogProbabilities(Tensor logits) => logNormalizer.forward(logits);

    /// <summary>The mean negative log-likelihood.</summary>
    /// <param name="logits">[batch, classes].</param>
    /// <param name="targets">[batch] class indices (int64).</param>
    public override Tensor forward(Tensor logits, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        if (logits.dim() != 2 || targets.dim() != 1 || targets.shape[0] != logits.shape[0])
        {
            throw new ArgumentException(
                $"Logits must be [batch, classes] and targets [batch], but their shapes are [{string.Join(", ", logits.shape)}] and [{string.Join(", ", targets.shape)}].",
                nameof(targets));
        }

        using var scope = NewDisposeScope();
        return nn.functional.nll_loss(logNormalizer.forward(logits), targets).MoveToOuterDisposeScope();
    }
}
