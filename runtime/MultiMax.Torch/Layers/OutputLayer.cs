using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MultiMax.Torch;

/// <summary>
/// A model's output layer: the projection from hidden states to the vocabulary (as <c>nn.Linear(dim, vocab)</c>) and
/// the normalizer that turns its logits into a distribution. <see cref="Loss"/> trains it through
/// <see cref="FusedCrossEntropy.Loss"/>, never forming the [tokens × vocab] logits; <see cref="forward"/> gives the
/// log-probabilities themselves, for generation and evaluation.
/// </summary>
public sealed class OutputLayer : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter? bias;
    private readonly nn.Module<Tensor, Tensor> normalizer;

    /// <summary>An output layer with a built-in normalizer.</summary>
    /// <param name="dim">The width of the hidden states.</param>
    /// <param name="vocab">The number of classes.</param>
    /// <param name="normalizer">The normalizer; SoftMax by default.</param>
    /// <param name="hasBias">Whether the projection has a bias.</param>
    public OutputLayer(long dim, long vocab, NormalizerKind normalizer = NormalizerKind.SoftMax, bool hasBias = true)
        : this(dim, vocab, TorchNormalizers.Create(normalizer), hasBias)
    {
    }

    /// <summary>An output layer with any normalizer layer, e.g. a generated <c>&lt;Name&gt;Module</c>.</summary>
    /// <param name="dim">The width of the hidden states.</param>
    /// <param name="vocab">The number of classes.</param>
    /// <param name="normalizer">Normalizes the logits; a generated module runs fused in <see cref="Loss"/>.</param>
    /// <param name="hasBias">Whether the projection has a bias.</param>
    public OutputLayer(long dim, long vocab, nn.Module<Tensor, Tensor> normalizer, bool hasBias = true)
        : base(nameof(OutputLayer))
    {
        ArgumentNullException.ThrowIfNull(normalizer);
        if (dim <= 0 || vocab <= 0)
        {
            throw new ArgumentOutOfRangeException(dim <= 0 ? nameof(dim) : nameof(vocab), "dim and vocab must be positive.");
        }

        // nn.Linear's initialization: uniform in ±1/√dim for the weight and the bias.
        double bound = 1 / Math.Sqrt(dim);
        weight = new Parameter(empty(vocab, dim).uniform_(-bound, bound));
        bias = hasBias ? new Parameter(empty(vocab).uniform_(-bound, bound)) : null;
        this.normalizer = normalizer;
        RegisterComponents();
    }

    /// <summary>The projection's weight, [vocab, dim].</summary>
    public Parameter Weight => weight;

    /// <summary>The projection's bias, [vocab], or null.</summary>
    public Parameter? Bias => bias;

    /// <summary>The normalizer, e.g. to read a MultiMax layer's learned <c>ts</c> and <c>ranges</c>.</summary>
    public nn.Module<Tensor, Tensor> Normalizer => normalizer;

    /// <summary>Log-probabilities [..., vocab] of <paramref name="hidden"/> [..., dim], materialized.</summary>
    public override Tensor forward(Tensor hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        using var scope = NewDisposeScope();
        Tensor logits = nn.functional.linear(hidden, weight, bias);
        if (normalizer is CompilerServices.IFusedNormalizer fused)
        {
            using Tensor? parameters = fused.ParameterVector(logits.dtype);
            return fused.Formula(logits, parameters, logarithm: true).MoveToOuterDisposeScope();
        }

        return normalizer.forward(logits).log().MoveToOuterDisposeScope();
    }

    /// <summary>The mean negative log-likelihood of <paramref name="targets"/>, fused (see <see cref="FusedCrossEntropy.Loss"/>).</summary>
    /// <param name="hidden">[..., dim], e.g. [batch, sequence, dim].</param>
    /// <param name="targets">int64 [...], the same leading shape: a class, or <paramref name="ignoreIndex"/>.</param>
    /// <param name="ignoreIndex">A target that leaves its token out of the loss and its mean.</param>
    public Tensor Loss(Tensor hidden, Tensor targets, long ignoreIndex = -100)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(targets);
        if (hidden.dim() < 1 || hidden.shape[^1] != weight.shape[1])
        {
            throw new ArgumentException(
                $"hidden must be [..., dim] with this layer's dim {weight.shape[1]}, but it is [{string.Join(", ", hidden.shape)}].", nameof(hidden));
        }

        if (!hidden.shape.AsSpan(0, (int)hidden.dim() - 1).SequenceEqual(targets.shape))
        {
            throw new ArgumentException(
                $"targets must have hidden's leading shape [{string.Join(", ", hidden.shape[..^1])}], but it is [{string.Join(", ", targets.shape)}].", nameof(targets));
        }

        using Tensor tokens = hidden.reshape(-1, weight.shape[1]), flatTargets = targets.reshape(-1);
        return FusedCrossEntropy.Loss(tokens, weight, flatTargets, normalizer, bias, ignoreIndex);
    }
}
