using System;
using MultiMax.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MultiMax.Torch;

/// <summary>
/// Multi-head self-attention whose score normalizer is a layer of its own: SoftMax, MultiMax of order 1 or 2, V2,
/// or any generated <c>&lt;Name&gt;Module</c>. Masked scores are set to −∞ before the normalizer, which gives them
/// weight exactly 0 (MultiMax never evaluates σ on them), and a query whose keys are all masked gets all-zero
/// weights rather than NaN. Optionally grouped-query (fewer key/value heads), with a sliding window and learned
/// attention sinks; <see cref="Decode"/> with a <see cref="KeyValueCache"/> runs it one token at a time.
/// </summary>
/// <remarks>As in the paper, one normalizer (one set of modulator parameters) is shared by all heads of a layer.</remarks>
public sealed class MultiHeadAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear query, key, value, output;
    private readonly nn.Module<Tensor, Tensor> normalizer;
    private readonly long heads, keyValueHeads, headSize;
    private readonly (int Left, int Right)? window;
#pragma warning disable IDE0044 // registered by RegisterComponents through reflection: not readonly
    private Parameter? sinks;
#pragma warning restore IDE0044

    /// <summary>Attention with a built-in normalizer.</summary>
    /// <param name="embeddingSize">The model width; a multiple of <paramref name="heads"/>.</param>
    /// <param name="heads">The number of query heads.</param>
    /// <param name="normalizer">The score normalizer; SoftMax by default.</param>
    /// <param name="keyValueHeads">The number of key/value heads, which must divide <paramref name="heads"/> (grouped-query attention); <paramref name="heads"/> when null.</param>
    /// <param name="window">A sliding window (keys before and after each query's position) every call applies; none when null.</param>
    /// <param name="sinks">Whether each head has a learned sink logit (initialised to 0) in its SoftMax denominator.</param>
    public MultiHeadAttention(long embeddingSize, long heads, NormalizerKind normalizer = NormalizerKind.SoftMax,
        long? keyValueHeads = null, (int Left, int Right)? window = null, bool sinks = false)
        : this(embeddingSize, heads, TorchNormalizers.Create(normalizer), keyValueHeads, window, sinks)
    {
    }

    /// <summary>Attention with any normalizer layer, e.g. a generated <c>&lt;Name&gt;Module</c>.</summary>
    /// <param name="embeddingSize">The model width; a multiple of <paramref name="heads"/>.</param>
    /// <param name="heads">The number of query heads.</param>
    /// <param name="normalizer">Normalizes the last axis of the [batch, heads, queries, keys] scores.</param>
    /// <param name="keyValueHeads">The number of key/value heads, which must divide <paramref name="heads"/> (grouped-query attention); <paramref name="heads"/> when null.</param>
    /// <param name="window">A sliding window (keys before and after each query's position) every call applies; none when null.</param>
    /// <param name="sinks">Whether each head has a learned sink logit (initialised to 0) in its SoftMax denominator.</param>
    public MultiHeadAttention(long embeddingSize, long heads, nn.Module<Tensor, Tensor> normalizer,
        long? keyValueHeads = null, (int Left, int Right)? window = null, bool sinks = false)
        : base(nameof(MultiHeadAttention))
    {
        ArgumentNullException.ThrowIfNull(normalizer);
        if (heads <= 0 || embeddingSize <= 0 || embeddingSize % heads != 0)
        {
            throw new ArgumentException($"The embedding size ({embeddingSize}) must be a positive multiple of the number of heads ({heads}).", nameof(heads));
        }

        long groups = keyValueHeads ?? heads;
        if (groups <= 0 || heads % groups != 0)
        {
            throw new ArgumentException($"The key/value heads ({groups}) must be a positive divisor of the heads ({heads}).", nameof(keyValueHeads));
        }

        AttentionRunner.CheckWindow(window, nameof(window));
        this.heads = heads;
        this.keyValueHeads = groups;
        this.window = window;
        headSize = embeddingSize / heads;
        query = nn.Linear(embeddingSize, embeddingSize);
        key = nn.Linear(embeddingSize, groups * headSize);
        value = nn.Linear(embeddingSize, groups * headSize);
        output = nn.Linear(embeddingSize, embeddingSize);
        this.normalizer = normalizer;
        this.sinks = sinks ? new Parameter(zeros(heads)) : null;
        RegisterComponents();
    }

    /// <summary>The score normalizer, e.g. to read a MultiMax layer's learned <c>ts</c> and <c>ranges</c>.</summary>
    public nn.Module<Tensor, Tensor> Normalizer => normalizer;

    /// <summary>The learned sink logits [heads], or null without sinks.</summary>
    public Parameter? Sinks => sinks;

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
    /// <param name="bias">Optional score bias broadcastable to [batch, heads, sequence, sequence], added before σ.</param>
    public Tensor forward(Tensor x, Tensor? keyPaddingMask, bool causal = false, Tensor? bias = null)
    {
        CheckInput(x, keyPaddingMask);
        long batch = x.shape[0], length = x.shape[1];
        using var scope = NewDisposeScope();
        Tensor attended = FusedAttention.ScaledDotProduct(
            SplitHeads(query.forward(x), batch, length, heads), SplitHeads(key.forward(x), batch, length, keyValueHeads),
            SplitHeads(value.forward(x), batch, length, keyValueHeads), normalizer, keyPaddingMask, causal, 1 / Math.Sqrt(headSize),
            bias, sinks, window);
        return output.forward(MergeHeads(attended, batch, length)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Causal self-attention over new tokens <paramref name="x"/> [batch, new, embedding] that also sees every token
    /// in <paramref name="cache"/>: their keys and values are appended to it, and the new queries are aligned with the
    /// last keys (bottom right), so a prefill and then one token at a time give what one call over the whole sequence
    /// gives.
    /// </summary>
    /// <param name="x">[batch, new, embedding]: the prompt first, then one (or a few) tokens per call.</param>
    /// <param name="cache">This layer's cache for this batch of sequences; grows by the new tokens.</param>
    /// <param name="bias">Optional score bias broadcastable to [batch, heads, new, cached + new].</param>
    public Tensor Decode(Tensor x, KeyValueCache cache, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        CheckInput(x, null);
        long batch = x.shape[0], length = x.shape[1];
        using var scope = NewDisposeScope();
        Tensor q = SplitHeads(query.forward(x), batch, length, heads);
        if (cache.Key is { } cached && (cached.shape[0] != batch || cached.dtype != q.dtype))
        {
            throw new ArgumentException($"The cache holds a batch of {cached.shape[0]} {cached.dtype} sequences, but x is a batch of {batch} {q.dtype}.", nameof(cache));
        }

        // The bias is checked against the keys the cache will hold before the cache grows: bad input changes nothing.
        FusedAttention.Bias(bias, new AttentionShape((int)batch, (int)heads, (int)length, (int)(cache.Length + length), (int)headSize), q);
        cache.Append(SplitHeads(key.forward(x), batch, length, keyValueHeads), SplitHeads(value.forward(x), batch, length, keyValueHeads));
        Tensor attended = FusedAttention.ScaledDotProduct(
            q, cache.Key!, cache.Value!, normalizer, null, causal: true, 1 / Math.Sqrt(headSize), bias, sinks, window, CausalAlignment.BottomRight);
        return output.forward(MergeHeads(attended, batch, length)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Self-attention that also returns the attention weights [batch, heads, queries, keys]: the materialized path,
    /// since the weights are asked for. The weights are probabilities whatever the normalizer's declared output (a
    /// generated module's formula, as <see cref="forward(Tensor, Tensor?, bool, Tensor?)"/> weighs the values), so
    /// <c>Output</c> is what <c>forward</c> returns.
    /// </summary>
    /// <inheritdoc cref="forward(Tensor, Tensor?, bool, Tensor?)"/>
    public (Tensor Output, Tensor Weights) Attend(Tensor x, Tensor? keyPaddingMask = null, bool causal = false, Tensor? bias = null)
    {
        CheckInput(x, keyPaddingMask);
        long batch = x.shape[0], length = x.shape[1];
        using var scope = NewDisposeScope();
        Tensor q = SplitHeads(query.forward(x), batch, length, heads);
        Tensor k = SplitHeads(key.forward(x), batch, length, keyValueHeads);
        Tensor v = SplitHeads(value.forward(x), batch, length, keyValueHeads);
        Tensor? parameters = (normalizer as CompilerServices.IFusedNormalizer)?.ParameterVector(q.dtype);
        (Tensor attended, Tensor weights) = FusedAttention.MaterializedWithWeights(q, k, v, keyPaddingMask,
            new AttentionMasking(causal, window, CausalAlignment.TopLeft), 1 / Math.Sqrt(headSize),
            FusedAttention.Bias(bias, new AttentionShape((int)batch, (int)heads, (int)length, (int)length, (int)headSize), q), sinks?.to(q.dtype),
            (scores, sinkColumn) => FusedAttention.Weights(normalizer, parameters, scores, sinkColumn));
        return (output.forward(MergeHeads(attended, batch, length)).MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
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

    private Tensor SplitHeads(Tensor projected, long batch, long length, long count) =>
        projected.view(batch, length, count, headSize).transpose(1, 2);

    private Tensor MergeHeads(Tensor attended, long batch, long length) =>
        attended.transpose(1, 2).reshape(batch, length, heads * headSize);
}
