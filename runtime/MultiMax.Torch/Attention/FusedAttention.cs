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
    /// <param name="keyPaddingMask">Optional [batch, keys] booleans, true where a key is padding.</param>
    /// <param name="causal">Whether query i sees only keys j ≤ i (aligned at the top left, as PyTorch's <c>is_causal</c>).</param>
    /// <param name="scale">The score scale; 1/√headSize when null.</param>
    /// <returns>[batch, heads, queries, headSize].</returns>
    /// <exception cref="ArgumentException">The shapes, dtypes or devices do not fit together.</exception>
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

        if (normalizer is IFusedNormalizer formula)
        {
            using Tensor? parameters = formula.ParameterVector(query.dtype);
            return Materialized(query, key, value, keyPaddingMask, causal, scaleValue,
                scores => formula.Formula(scores, parameters, logarithm: false));
        }

        return Materialized(query, key, value, keyPaddingMask, causal, scaleValue, normalizer.forward);
    }

    /// <summary>The scores as a tensor of their own, masked with −∞, normalized by <paramref name="normalize"/>, times V.</summary>
    internal static Tensor Materialized(
        Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask, bool causal, double scale, Func<Tensor, Tensor> normalize)
    {
        using var scope = NewDisposeScope();
        long batch = query.shape[0], queries = query.shape[2], keys = key.shape[2];
        Tensor scores = matmul(query, key.transpose(-2, -1)).mul(scale);
        if (keyPaddingMask is not null)
        {
            scores = scores.masked_fill(keyPaddingMask.to(ScalarType.Bool).to(query.device).view(batch, 1, 1, keys), double.NegativeInfinity);
        }

        if (causal)
        {
            scores = scores.masked_fill(ones(queries, keys, ScalarType.Bool, query.device).triu(1), double.NegativeInfinity);
        }

        return matmul(normalize(scores), value).MoveToOuterDisposeScope();
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

        if (keyPaddingMask is not null && (keyPaddingMask.dim() != 2 || keyPaddingMask.shape[0] != query.shape[0] || keyPaddingMask.shape[1] != key.shape[2]))
        {
            throw new ArgumentException($"keyPaddingMask must be [batch, keys] = [{query.shape[0]}, {key.shape[2]}], but it is {Shape(keyPaddingMask)}.", nameof(keyPaddingMask));
        }

        if (scale is { } given && !double.IsFinite(given))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), given, "scale must be finite.");
        }

        return new AttentionShape(Fit(query.shape[0]), Fit(query.shape[1]), Fit(query.shape[2]), Fit(key.shape[2]), Fit(query.shape[3]));
    }

    /// <summary>A managed copy of the mask: the fused kernels read it in the forward and again in the backward.</summary>
    private static bool[]? Mask(Tensor? keyPaddingMask)
    {
        if (keyPaddingMask is null)
        {
            return null;
        }

        using Tensor flat = keyPaddingMask.to(ScalarType.Bool).cpu().contiguous().flatten();
        return flat.data<bool>().ToArray();
    }
}
