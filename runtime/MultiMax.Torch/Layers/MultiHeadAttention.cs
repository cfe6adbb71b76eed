using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MultiMax.Torch;

/// <summary>
/// Multi-head self-attention whose score normalizer is a layer of its own: SoftMax, MultiMax of order 1 or 2, V2,
/// or any generated <c>&lt;Name&gt;Module</c>. Masked scores are set to −∞ before the normalizer, which gives them
/// weight exactly 0 (MultiMax never evaluates σ on them), and a query whose keys are all masked gets all-zero
/// weights rather than NaN.
/// </summary>
/// <remarks>As in the paper, one normalizer (one set of modulator parameters) is shared by all heads of a layer.</remarks>
public sealed class MultiHeadAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear query, key, value, output;
    private readonly nn.Module<Tensor, Tensor> normalizer;
    private readonly long heads, headSize;

    /// <summary>Attention with a built-in normalizer.</summary>
    /// <param name="embeddingSize">The model width; a multiple of <paramref name="heads"/>.</param>
    /// <param name="heads">The number of heads.</param>
    /// <param name="normalizer">The score normalizer; SoftMax by default.</param>
    public MultiHeadAttention(long embeddingSize, long heads, NormalizerKind normalizer = NormalizerKind.SoftMax)
        : this(embeddingSize, heads, TorchNormalizers.Create(normalizer))
    {
    }

    /// <summary>Attention with any normalizer layer, e.g. a generated <c>&lt;Name&gt;Module</c>.</summary>
    /// <param name="embeddingSize">The model width; a multiple of <paramref name="heads"/>.</param>
    /// <param name="heads">The number of heads.</param>
    /// <param name="normalizer">Normalizes the last axis of the [batch, heads, queries, keys] scores.</param>
    public MultiHeadAttention(long embeddingSize, long heads, nn.Module<Tensor, Tensor> normalizer)
        : base(nameof(MultiHeadAttention))
    {
        ArgumentNullException.ThrowIfNull(normalizer);
        if (heads <= 0 || embeddingSize <= 0 || embeddingSize % heads != 0)
        {
            throw new ArgumentException($"The embedding size ({embeddingSize}) must be a positive multiple of the number of heads ({heads}).", nameof(heads));
        }

        this.heads = heads;
        headSize = embeddingSize / heads;
        query = nn.Linear(embeddingSize, embeddingSize);
        key = nn.Linear(embeddingSize, embeddingSize);
        value = nn.Linear(embeddingSize, embeddingSize);
        output = nn.Linear(embeddingSize, embeddingSize);
        this.normalizer = normalizer;
        RegisterComponents();
    }

    /// <summary>The score normalizer, e.g. to read a MultiMax layer's learned <c>ts</c> and <c>ranges</c>.</summary>
    public nn.Module<Tensor, Tensor> Normalizer => normalizer;

    /// <summary>Self-attention over <paramref name="x"/> [batch, sequence, embedding], without masks.</summary>
    public override Tensor forward(Tensor x) => forward(x, null);

    /// <summary>
    /// Self-attention with optional masks, through <see cref="FusedAttention.ScaledDotProduct"/>: fused, without a
    /// [queries × keys] tensor, when the normalizer is a generated module and the tensors are CPU float32/float64.
    /// </summary>
    /// <param name="x">[batch, sequence, embedding].</param>
    /// <param name="keyPaddingMask">
    /// Optional [batch, sequence] of dtype Bool, true where a key is padding and must get no weight (a Hugging Face
    /// <c>attention_mask</c>, 1 = a real token, is its negation: pass <c>attention_mask.eq(0)</c>).
    /// </param>
    /// <param name="causal">Whether each query sees only itself and earlier positions.</param>
    public Tensor forward(Tensor x, Tensor? keyPaddingMask, bool causal = false)
    {
        CheckInput(x, keyPaddingMask);
        long batch = x.shape[0], length = x.shape[1];
        using var scope = NewDisposeScope();
        Tensor q = SplitHeads(query.forward(x), batch, length);
        Tensor k = SplitHeads(key.forward(x), batch, length);
        Tensor v = SplitHeads(value.forward(x), batch, length);
        Tensor attended = FusedAttention.ScaledDotProduct(q, k, v, normalizer, keyPaddingMask, causal, 1 / Math.Sqrt(headSize));
        return output.forward(attended.transpose(1, 2).reshape(batch, length, heads * headSize)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Self-attention that also returns the attention weights [batch, heads, queries, keys]: the materialized path,
    /// since the weights are asked for. The weights are probabilities whatever the normalizer's declared output (a
    /// generated module's formula, as <see cref="forward(Tensor, Tensor?, bool)"/> weighs the values), so
    /// <c>Output</c> is what <c>forward</c> returns.
    /// </summary>
    /// <inheritdoc cref="forward(Tensor, Tensor?, bool)"/>
    public (Tensor Output, Tensor Weights) Attend(Tensor x, Tensor? keyPaddingMask = null, bool causal = false)
    {
        CheckInput(x, keyPaddingMask);
        long batch = x.shape[0], length = x.shape[1];
        using var scope = NewDisposeScope();
        Tensor q = SplitHeads(query.forward(x), batch, length);
        Tensor k = SplitHeads(key.forward(x), batch, length);
        Tensor v = SplitHeads(value.forward(x), batch, length);
        Tensor? parameters = (normalizer as CompilerServices.IFusedNormalizer)?.ParameterVector(q.dtype);
        (Tensor attended, Tensor weights) = FusedAttention.MaterializedWithWeights(q, k, v, keyPaddingMask, causal, 1 / Math.Sqrt(headSize),
            scores => FusedAttention.Weights(normalizer, parameters, scores));
        Tensor merged = attended.transpose(1, 2).reshape(batch, length, heads * headSize);
        return (output.forward(merged).MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }

    private static void CheckInput(Tensor x, Tensor? keyPaddingMask)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 3)
        {
            throw new ArgumentException($"The input must be [batch, sequence, embedding], but its shape is [{string.Join(", ", x.shape)}].", nameof(x));
        }

        FusedAttention.CheckKeyPaddingMask(keyPaddingMask, x.shape[0], x.shape[1], nameof(keyPaddingMask));
    }

    private Tensor SplitHeads(Tensor projected, long batch, long length) =>
        projected.view(batch, length, heads, headSize).transpose(1, 2);
}
