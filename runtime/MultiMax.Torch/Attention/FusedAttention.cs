using System;
using MultiMax.Torch.CompilerServices;
using TorchSharp;
using static MultiMax.Torch.CompilerServices.TensorArguments;
using static TorchSharp.torch;

namespace MultiMax.Torch;

/// <summary>
/// Scaled-dot-product attention whose scores are normalized by any normalizer layer — fused, flash-style, when the
/// layer is a generated <c>&lt;Name&gt;Module</c> and the tensors are CPU float32 or float64: the [queries × keys] scores
/// are then never materialized, in the forward or the backward.
/// </summary>
public static class FusedAttention
{
    /// <summary>
    /// <c>normalizer(scale·query·keyᵀ + bias)·value</c> over the last two axes, with masked scores given no weight;
    /// autograd reaches query, key, value, bias, sinks and the normalizer's own parameters.
    /// </summary>
    /// <param name="query">[batch, heads, queries, headSize].</param>
    /// <param name="key">
    /// [batch, kvHeads, keys, headSize], where kvHeads divides heads: query head h reads key/value head
    /// h / (heads / kvHeads), as PyTorch's <c>enable_gqa</c> (grouped-query attention; kvHeads 1 is multi-query). The
    /// fused path reads each key/value head once per group, never a repeated copy.
    /// </param>
    /// <param name="value">[batch, kvHeads, keys, headSize].</param>
    /// <param name="normalizer">
    /// Normalizes the last axis of the scores. A generated <c>&lt;Name&gt;Module</c> runs fused on CPU float32/float64
    /// tensors (a query whose keys are all masked then gets output 0), and on any other device or dtype its formula's
    /// probabilities on the materialized scores (whatever its declared output). Any other module's output on the
    /// materialized scores is taken as the weights (with sinks, its input has the sink as one more column, dropped after).
    /// </param>
    /// <param name="keyPaddingMask">
    /// Optional [batch, keys] of dtype Bool, true where a key is padding. A padding key is never read: its score gets
    /// no weight, and a NaN or ∞ in its key or value row reaches nothing. Any other dtype is refused, since a Hugging
    /// Face <c>attention_mask</c> (1 = a real token) is its negation: pass <c>attention_mask.eq(0)</c>.
    /// </param>
    /// <param name="causal">Whether query i sees only keys j ≤ a(i), its aligned position (see <paramref name="alignment"/>).</param>
    /// <param name="scale">The score scale; 1/√headSize when null.</param>
    /// <param name="bias">
    /// Optional float tensor broadcastable to [batch, heads, queries, keys], added to the scaled score before σ:
    /// σ(scale·q·k + bias) (a relative-position bias, ALiBi, a soft mask). A −∞ entry masks its score. Read tile by
    /// tile, never expanded; its gradient is summed over the broadcast extents in a fixed order.
    /// </param>
    /// <param name="sinks">
    /// Optional [heads]: a learned logit per query head that joins every query's SoftMax denominator on σ's scale (never
    /// passed through σ) and carries no value (attention sinks).
    /// </param>
    /// <param name="window">
    /// Optional sliding window: query i sees keys a(i) − Left ≤ j ≤ a(i) + Right (FlashAttention's <c>window_size</c>).
    /// The fused path skips the tiles outside every window, so its cost grows with the window, not the sequence.
    /// </param>
    /// <param name="alignment">
    /// Where query i sits among the keys for the causal mask and the window: a(i) = i (top left, PyTorch's
    /// <c>is_causal</c>) or i + keys − queries (bottom right: a decode step or a chunk of queries against a KV cache).
    /// </param>
    /// <returns>[batch, heads, queries, headSize]; any extent may be 0, as in torch.</returns>
    /// <remarks>
    /// Padding, the causal mask, the window and −∞ bias entries combine by intersection. A score that comes out −∞
    /// (q·k overflowing) is masked as well: σ never sees it. A NaN or ∞ in the key or value row of a key that is not
    /// padding is an input like any other: it reaches the queries that see it (and may reach others: every query on the
    /// materialized path). Every gradient is the same bits on every run. Dropout on the weights is not offered.
    /// </remarks>
    /// <exception cref="ArgumentException">The shapes, dtypes or devices do not fit together, or the scale overflows the dtype.</exception>
    public static Tensor ScaledDotProduct(Tensor query, Tensor key, Tensor value,
        nn.Module<Tensor, Tensor> normalizer, Tensor? keyPaddingMask = null, bool causal = false, double? scale = null,
        Tensor? bias = null, Tensor? sinks = null, (int Left, int Right)? window = null, CausalAlignment alignment = CausalAlignment.TopLeft)
    {
        ArgumentNullException.ThrowIfNull(normalizer);
        AttentionShape shape = CheckArguments(query, key, value, keyPaddingMask, scale);
        var masking = new AttentionMasking(causal, window, alignment);
        masking.Check();
        double scaleValue = scale ?? shape.DefaultScale;
        using var scope = NewDisposeScope();
        Tensor? fullBias = Bias(bias, shape, query);
        Tensor? headSinks = Sinks(sinks, shape, query);
        if (normalizer is IFusedNormalizer fused && FusedAttentionFunction.CanRun(fused, query, shape, fullBias))
        {
            Tensor? parameters = fused.ParameterVector(query.dtype);
            var call = new FusedAttentionFunction.Call(fused, shape, Mask(keyPaddingMask), masking, scaleValue, parameters is not null,
                fullBias is null ? default : new AttentionBiasShape(Fit(fullBias.shape[0]), Fit(fullBias.shape[1]), Fit(fullBias.shape[2]), Fit(fullBias.shape[3])),
                BiasGradient: fullBias is { requires_grad: true });
            if (WillBeDifferentiated(query, key, value, parameters, fullBias, headSinks))
            {
                FusedAttentionFunction.WarmUpBackward(call, query.dtype, parameters);
            }

            return FusedAttentionFunction.apply(query, key, value, parameters, fullBias, headSinks, call).MoveToOuterDisposeScope();
        }

        Tensor? vector = (normalizer as IFusedNormalizer)?.ParameterVector(query.dtype);
        return Materialized(query, key, value, keyPaddingMask, masking, scaleValue, fullBias, headSinks,
            (scores, sinkColumn) => Weights(normalizer, vector, scores, sinkColumn)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The attention weights of <paramref name="scores"/>: a generated module's formula as probabilities from
    /// <paramref name="parameters"/> (its <see cref="IFusedNormalizer.ParameterVector"/>), whatever its declared output
    /// kind; any other module's output as it is. With sinks (<paramref name="sinkColumn"/>, [.., queries, 1]) the sink
    /// joins the denominator: on σ's scale for a generated module, as one more input column (dropped after) otherwise.
    /// </summary>
    internal static Tensor Weights(nn.Module<Tensor, Tensor> normalizer, Tensor? parameters, Tensor scores, Tensor? sinkColumn = null)
    {
        if (sinkColumn is null)
        {
            return normalizer is IFusedNormalizer plain ? plain.Formula(scores, parameters, logarithm: false) : normalizer.forward(scores);
        }

        using var scope = NewDisposeScope();
        long keys = scores.shape[^1];
        if (normalizer is IFusedNormalizer fused)
        {
            Tensor sigma = cat(new[] { fused.Modulate(scores, parameters), sinkColumn }, -1);
            Tensor masked = cat(new[] { scores.eq(double.NegativeInfinity), sinkColumn.eq(double.NegativeInfinity) }, -1);
            return TorchNormalizerRunner.MaskedSoftMax(sigma, masked, logarithm: false).narrow(-1, 0, keys).MoveToOuterDisposeScope();
        }

        return normalizer.forward(cat(new[] { scores, sinkColumn }, -1)).narrow(-1, 0, keys).MoveToOuterDisposeScope();
    }

    /// <summary>The output of <see cref="MaterializedWithWeights"/> alone.</summary>
    internal static Tensor Materialized(
        Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask, AttentionMasking masking, double scale,
        Tensor? bias, Tensor? sinks, Func<Tensor, Tensor?, Tensor> normalize)
    {
        (Tensor output, Tensor weights) = MaterializedWithWeights(query, key, value, keyPaddingMask, masking, scale, bias, sinks, normalize);
        weights.Dispose();
        return output;
    }

    /// <summary>
    /// The scores as a tensor of their own (key/value heads repeated per group, the bias added), masked with −∞,
    /// normalized by <paramref name="normalize"/> (scores and the sinks as a [batch, heads, queries, 1] column, or null),
    /// times V: the output and the weights. Padding keys' rows are read as zeros, as the fused kernels read them.
    /// </summary>
    internal static (Tensor Output, Tensor Weights) MaterializedWithWeights(
        Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask, AttentionMasking masking, double scale,
        Tensor? bias, Tensor? sinks, Func<Tensor, Tensor?, Tensor> normalize)
    {
        using var scope = NewDisposeScope();
        long batch = query.shape[0], heads = query.shape[1], queries = query.shape[2], keys = key.shape[2];
        Tensor? padding = keyPaddingMask?.to(query.device).reshape(batch, 1, keys, 1);
        if (padding is not null)
        {
            key = key.masked_fill(padding, 0);
            value = value.masked_fill(padding, 0);
        }

        if (key.shape[1] != heads && key.shape[1] != 0)
        {
            long group = heads / key.shape[1];
            key = key.repeat_interleave(group, dim: 1);
            value = value.repeat_interleave(group, dim: 1);
        }

        Tensor scores = matmul(query, key.transpose(-2, -1)).mul(scale);
        if (bias is not null)
        {
            scores = scores.add(bias);
        }

        if (padding is not null)
        {
            scores = scores.masked_fill(padding.transpose(-2, -1), double.NegativeInfinity);
        }

        if (masking.Hidden(queries, keys, query.device) is { } hidden)
        {
            scores = scores.masked_fill(hidden, double.NegativeInfinity);
        }

        Tensor? sinkColumn = sinks?.view(1, heads, 1, 1).expand(batch, heads, queries, 1);
        Tensor weights = normalize(scores, sinkColumn);
        return (matmul(weights, value).MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// A key padding mask must be Bool [batch, keys], true = padding: any other dtype is refused rather than cast, since
    /// a Hugging Face <c>attention_mask</c> (int64, 1 = a real token) cast to Bool would mark every real key as padding.
    /// </summary>
    internal static void CheckKeyPaddingMask(Tensor? keyPaddingMask, long batch, long keys, string name)
    {
        if (keyPaddingMask is null)
        {
            return;
        }

        if (keyPaddingMask.dtype != ScalarType.Bool)
        {
            throw new ArgumentException(
                $"{name} must be a Bool tensor, true where a key is padding, but it is {keyPaddingMask.dtype}. A Hugging Face attention_mask " +
                "(1 = a real token) is its negation: pass attention_mask.eq(0).", name);
        }

        if (keyPaddingMask.dim() != 2 || keyPaddingMask.shape[0] != batch || keyPaddingMask.shape[1] != keys)
        {
            throw new ArgumentException($"{name} must be [batch, keys] = [{batch}, {keys}], but it is {Shape(keyPaddingMask)}.", name);
        }
    }

    private static AttentionShape CheckArguments(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask, double? scale)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (query.dim() != 4 || key.dim() != 4 || value.dim() != 4)
        {
            throw new ArgumentException(
                $"query, key and value must be [batch, heads, length, headSize], but their shapes are {Shape(query)}, {Shape(key)} and {Shape(value)}.", nameof(query));
        }

        if (!key.shape.AsSpan().SequenceEqual(value.shape) || key.shape[0] != query.shape[0] || key.shape[3] != query.shape[3])
        {
            throw new ArgumentException(
                $"key and value must both be [batch, kvHeads, keys, headSize] with query's batch and headSize {Shape(query)}, but they are {Shape(key)} and {Shape(value)}.", nameof(key));
        }

        long heads = query.shape[1], keyValueHeads = key.shape[1];
        if (keyValueHeads > heads || (keyValueHeads == 0 ? heads != 0 : heads % keyValueHeads != 0))
        {
            throw new ArgumentException(
                $"key and value have {keyValueHeads} heads, which must divide query's {heads} (grouped-query attention: each key/value head serves heads / kvHeads query heads).", nameof(key));
        }

        if (!query.is_floating_point() || key.dtype != query.dtype || value.dtype != query.dtype)
        {
            throw new ArgumentException($"query, key and value must share one floating-point dtype, but they are {query.dtype}, {key.dtype} and {value.dtype}.", nameof(query));
        }

        if (!SameDevice(key, query) || !SameDevice(value, query))
        {
            throw new ArgumentException($"query, key and value must be on one device, but they are on {query.device}, {key.device} and {value.device}.", nameof(key));
        }

        CheckKeyPaddingMask(keyPaddingMask, query.shape[0], key.shape[2], nameof(keyPaddingMask));
        if (scale is { } given)
        {
            if (!double.IsFinite(given))
            {
                throw new ArgumentOutOfRangeException(nameof(scale), given, "scale must be finite.");
            }

            if (!FitsDtype(given, query.dtype))
            {
                throw new ArgumentOutOfRangeException(nameof(scale), given, $"scale is {given}, beyond the range of query's dtype {query.dtype}.");
            }
        }

        return new AttentionShape(Fit(query.shape[0]), Fit(heads), Fit(query.shape[2]), Fit(key.shape[2]), Fit(query.shape[3]))
        {
            KeyValueHeads = Fit(keyValueHeads),
        };
    }

    /// <summary>
    /// The bias as a 4-D view, [batch or 1, heads or 1, queries or 1, keys or 1], in query's dtype (differentiably: its
    /// gradient reaches the tensor given); null without one.
    /// </summary>
    internal static Tensor? Bias(Tensor? bias, AttentionShape shape, Tensor query)
    {
        if (bias is null)
        {
            return null;
        }

        long[] target = { shape.Batch, shape.Heads, shape.Queries, shape.Keys };
        bool fits = bias.is_floating_point() && bias.dim() <= 4 && SameDevice(bias, query);
        for (int axis = 0; fits && axis < bias.dim(); axis++)
        {
            long extent = bias.shape[bias.dim() - 1 - axis], wanted = target[3 - axis];
            fits = extent == wanted || extent == 1;
        }

        if (!fits)
        {
            throw new ArgumentException(
                $"bias must be a floating-point tensor on query's device, broadcastable to [batch, heads, queries, keys] = {Extents(target)}, but it is {bias.dtype} {Shape(bias)} on {bias.device}.", nameof(bias));
        }

        var shape4 = new long[4];
        for (int axis = 0; axis < 4; axis++)
        {
            shape4[axis] = axis < 4 - bias.dim() ? 1 : bias.shape[axis - (4 - bias.dim())];
        }

        return bias.to(query.dtype).reshape(shape4);
    }

    /// <summary>The sinks [heads] in query's dtype (differentiably); null without them.</summary>
    private static Tensor? Sinks(Tensor? sinks, AttentionShape shape, Tensor query)
    {
        if (sinks is null)
        {
            return null;
        }

        if (!sinks.is_floating_point() || sinks.dim() != 1 || sinks.shape[0] != shape.Heads || !SameDevice(sinks, query))
        {
            throw new ArgumentException(
                $"sinks must be a floating-point [heads] = [{shape.Heads}] tensor on query's device, but it is {sinks.dtype} {Shape(sinks)} on {sinks.device}.", nameof(sinks));
        }

        return sinks.to(query.dtype);
    }

    private static string Extents(long[] extents) => $"[{string.Join(", ", extents)}]";

    /// <summary>Whether autograd will take a gradient through any of these tensors: grad mode is on and one requires it.</summary>
    internal static bool WillBeDifferentiated(params Tensor?[] tensors) => is_grad_enabled() && Array.Exists(tensors, tensor => tensor is { requires_grad: true });

    /// <summary>Whether <paramref name="value"/> stays finite in <paramref name="dtype"/> (query's floating-point dtype).</summary>
    private static bool FitsDtype(double value, ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => float.IsFinite((float)value),
        ScalarType.Float16 => Half.IsFinite((Half)value),
        ScalarType.BFloat16 => Math.Abs(value) < 3.3961775e38, // past this it rounds to infinity
        _ => true,
    };

    /// <summary>A managed copy of the mask: the fused kernels read it in the forward and again in the backward.</summary>
    private static bool[]? Mask(Tensor? keyPaddingMask)
    {
        if (keyPaddingMask is null)
        {
            return null;
        }

        using Tensor flat = keyPaddingMask.cpu().contiguous().flatten();
        return flat.data<bool>().ToArray();
    }
}
