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
    /// <c>normalizer(scale·query·keyᵀ)·value</c> over the last two axes, with masked scores given no weight; autograd
    /// reaches query, key, value and the normalizer's own parameters.
    /// </summary>
    /// <param name="query">[batch, heads, queries, headSize].</param>
    /// <param name="key">[batch, heads, keys, headSize].</param>
    /// <param name="value">[batch, heads, keys, headSize].</param>
    /// <param name="normalizer">
    /// Normalizes the last axis of the scores. A generated <c>&lt;Name&gt;Module</c> runs fused on CPU float32/float64
    /// tensors (a query whose keys are all masked then gets output 0), and on any other device or dtype its formula's
    /// probabilities on the materialized scores (whatever its declared output). Any other module's output on the
    /// materialized scores is taken as the weights.
    /// </param>
    /// <param name="keyPaddingMask">
    /// Optional [batch, keys] of dtype Bool, true where a key is padding. A padding key is never read: its score gets
    /// no weight, and a NaN or ∞ in its key or value row reaches nothing. Any other dtype is refused, since a Hugging
    /// Face <c>attention_mask</c> (1 = a real token) is its negation: pass <c>attention_mask.eq(0)</c>.
    /// </param>
    /// <param name="causal">Whether query i sees only keys j ≤ i (aligned at the top left, as PyTorch's <c>is_causal</c>).</param>
    /// <param name="scale">The score scale; 1/√headSize when null.</param>
    /// <returns>[batch, heads, queries, headSize]; any extent may be 0, as in torch.</returns>
    /// <remarks>
    /// A score that comes out −∞ (q·k overflowing) is masked, as an explicit mask is: σ never sees it. A NaN or ∞ in the
    /// key or value row of a key that is not padding is an input like any other: it reaches the queries that see it (and
    /// may reach others: every query on the materialized path).
    /// </remarks>
    /// <exception cref="ArgumentException">The shapes, dtypes or devices do not fit together, or the scale overflows the dtype.</exception>
    public static Tensor ScaledDotProduct(Tensor query, Tensor key, Tensor value,
        nn.Module<Tensor, Tensor> normalizer, Tensor? keyPaddingMask = null, bool causal = false, double? scale = null)
    {
        ArgumentNullException.ThrowIfNull(normalizer);
        AttentionShape shape = CheckArguments(query, key, value, keyPaddingMask, scale);
        double scaleValue = scale ?? shape.DefaultScale;
        if (normalizer is IFusedNormalizer fused && FusedAttentionFunction.CanRun(fused, query, shape))
        {
            using Tensor? parameters = fused.ParameterVector(query.dtype);
            var call = new FusedAttentionFunction.Call(fused, shape, Mask(keyPaddingMask), causal, scaleValue, parameters is not null);
            return FusedAttentionFunction.apply(query, key, value, parameters, call);
        }

        using Tensor? vector = (normalizer as IFusedNormalizer)?.ParameterVector(query.dtype);
        return Materialized(query, key, value, keyPaddingMask, causal, scaleValue, scores => Weights(normalizer, vector, scores));
    }

    /// <summary>
    /// The attention weights of <paramref name="scores"/>: a generated module's formula as probabilities from
    /// <paramref name="parameters"/> (its <see cref="IFusedNormalizer.ParameterVector"/>), whatever its declared output
    /// kind; any other module's output as it is.
    /// </summary>
    internal static Tensor Weights(nn.Module<Tensor, Tensor> normalizer, Tensor? parameters, Tensor scores) =>
        normalizer is IFusedNormalizer fused ? fused.Formula(scores, parameters, logarithm: false) : normalizer.forward(scores);

    /// <summary>The output of <see cref="MaterializedWithWeights"/> alone.</summary>
    internal static Tensor Materialized(
        Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask, bool causal, double scale, Func<Tensor, Tensor> normalize)
    {
        (Tensor output, Tensor weights) = MaterializedWithWeights(query, key, value, keyPaddingMask, causal, scale, normalize);
        weights.Dispose();
        return output;
    }

    /// <summary>
    /// The scores as a tensor of their own, masked with −∞, normalized by <paramref name="normalize"/>, times V: the
    /// output and the weights. Padding keys' rows are read as zeros, as the fused kernels read them.
    /// </summary>
    internal static (Tensor Output, Tensor Weights) MaterializedWithWeights(
        Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask, bool causal, double scale, Func<Tensor, Tensor> normalize)
    {
        using var scope = NewDisposeScope();
        long batch = query.shape[0], queries = query.shape[2], keys = key.shape[2];
        Tensor? padding = keyPaddingMask?.to(query.device).reshape(batch, 1, keys, 1);
        if (padding is not null)
        {
            key = key.masked_fill(padding, 0);
            value = value.masked_fill(padding, 0);
        }

        Tensor scores = matmul(query, key.transpose(-2, -1)).mul(scale);
        if (padding is not null)
        {
            scores = scores.masked_fill(padding.transpose(-2, -1), double.NegativeInfinity);
        }

        if (causal)
        {
            scores = scores.masked_fill(ones(queries, keys, ScalarType.Bool, query.device).triu(1), double.NegativeInfinity);
        }

        Tensor weights = normalize(scores);
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

        if (!key.shape.AsSpan().SequenceEqual(value.shape) || key.shape[0] != query.shape[0] || key.shape[1] != query.shape[1] || key.shape[3] != query.shape[3])
        {
            throw new ArgumentException(
                $"key and value must both be [batch, heads, keys, headSize] with query's batch, heads and headSize {Shape(query)}, but they are {Shape(key)} and {Shape(value)}.", nameof(key));
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

        return new AttentionShape(Fit(query.shape[0]), Fit(query.shape[1]), Fit(query.shape[2]), Fit(key.shape[2]), Fit(query.shape[3]));
    }

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
