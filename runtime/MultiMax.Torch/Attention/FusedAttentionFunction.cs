using System;
using System.Collections.Generic;
using MultiMax.CompilerServices;
using MultiMax.Torch.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MultiMax.Torch;

/// <summary>
/// The autograd function behind <see cref="FusedAttention.ScaledDotProduct"/> on the fused path:
/// <c>apply(query, key, value, parameters or null, call)</c>. The forward keeps only O and the per-query log-sum-exp;
/// the backward recomputes the weights tile by tile.
/// </summary>
internal sealed class FusedAttentionFunction : autograd.SingleTensorFunction<FusedAttentionFunction>
{
    /// <summary>Everything <c>apply</c> takes besides the tensors: the normalizer, the shape and the settings.</summary>
    internal sealed record Call(IFusedNormalizer Normalizer, AttentionShape Shape, bool[]? Mask, bool Causal, double Scale, bool HasParameters);

    public override string Name => "MultiMaxFusedAttention";

    /// <summary>
    /// Whether the fused kernels cover these tensors: CPU, a declared element type, a shape the kernels take
    /// (<see cref="AttentionRunner.Fits"/>: a head size up to <see cref="AttentionShape.MaxHeadSize"/>, …) and tensors
    /// whose bytes one span can hold.
    /// </summary>
    public static bool CanRun(IFusedNormalizer normalizer, Tensor query, AttentionShape shape) =>
        query.device_type == DeviceType.CPU
        && ((query.dtype == ScalarType.Float32 && normalizer.FloatAttention is not null)
            || (query.dtype == ScalarType.Float64 && normalizer.DoubleAttention is not null))
        && AttentionRunner.Fits(shape)
        && shape.QueryLength < int.MaxValue / sizeof(double) && shape.KeyLength < int.MaxValue / sizeof(double)
        && shape.LogSumExpLength < int.MaxValue / sizeof(double);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        Tensor query = (Tensor)vars[0], key = (Tensor)vars[1], value = (Tensor)vars[2];
        var parameters = vars[3] as Tensor;
        var call = (Call)vars[4];
        AttentionShape shape = call.Shape;
        using Tensor q = query.contiguous(), k = key.contiguous(), v = value.contiguous();
        using Tensor? p = parameters?.contiguous();
        Tensor output = empty_like(q);
        Tensor logSumExp = empty(new long[] { shape.Batch, shape.Heads, shape.Queries }, q.dtype);
        if (q.dtype == ScalarType.Float32)
        {
            call.Normalizer.FloatAttention!.Forward(Span<float>(q), Span<float>(k), Span<float>(v), Span<float>(output), Span<float>(logSumExp),
                shape, p is null ? default : Span<float>(p), call.Mask, call.Causal, (float)call.Scale);
        }
        else
        {
            call.Normalizer.DoubleAttention!.Forward(Span<double>(q), Span<double>(k), Span<double>(v), Span<double>(output), Span<double>(logSumExp),
                shape, p is null ? default : Span<double>(p), call.Mask, call.Causal, call.Scale);
        }

        // The inputs as given (a double backward differentiates the materialized formula through them), O and L.
        ctx.save_for_backward(new() { query, key, value, parameters!, output, logSumExp });
        ctx.save_data(nameof(Call), call);
        return TorchNormalizerRunner.AsOutput(output);
    }

    /// <summary>
    /// The fused backward; under <c>create_graph</c>, autograd of the materialized formula instead, so that the gradients
    /// can be differentiated again. A failure never leaves this method (see <see cref="BackwardFailures"/>).
    /// </summary>
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor outputGradient)
    {
        var call = (Call)ctx.get_data(nameof(Call));
        try
        {
            List<Tensor> saved = ctx.get_saved_variables();
            Tensor query = saved[0], key = saved[1], value = saved[2];
            Tensor? parameters = call.HasParameters ? saved[3] : null;
            (Tensor dq, Tensor dk, Tensor dv, Tensor? dp) = is_grad_enabled()
                ? DifferentiableBackward(call, query, key, value, parameters, outputGradient)
                : FusedBackward(call, query, key, value, parameters, saved[4], saved[5], outputGradient);
            return new() { dq, dk, dv, dp!, null! };
        }
        catch (Exception exception)
        {
            // A gradient of the wrong shape makes the engine refuse it with an error that backward() throws catchably.
            BackwardFailures.Record(Name, exception);
            return new() { empty(0), empty(0), empty(0), call.HasParameters ? empty(0) : null!, null! };
        }
    }

    private static (Tensor, Tensor, Tensor, Tensor?) FusedBackward(
        Call call, Tensor query, Tensor key, Tensor value, Tensor? parameters, Tensor output, Tensor logSumExp, Tensor outputGradient)
    {
        AttentionShape shape = call.Shape;
        using Tensor q = query.contiguous(), k = key.contiguous(), v = value.contiguous();
        using Tensor? p = parameters?.contiguous();
        using Tensor converted = outputGradient.dtype == q.dtype ? outputGradient.alias() : outputGradient.to(q.dtype);
        using Tensor dO = converted.contiguous();
        Tensor dq = empty_like(q), dk = empty_like(k), dv = empty_like(v);
        Tensor? dp = p is null ? null : empty_like(p);
        if (q.dtype == ScalarType.Float32)
        {
            call.Normalizer.FloatAttention!.Backward(Span<float>(q), Span<float>(k), Span<float>(v), Span<float>(output), Span<float>(logSumExp), Span<float>(dO),
                Span<float>(dq), Span<float>(dk), Span<float>(dv), shape,
                p is null ? default : Span<float>(p), dp is null ? default : Span<float>(dp), call.Mask, call.Causal, (float)call.Scale);
        }
        else
        {
            call.Normalizer.DoubleAttention!.Backward(Span<double>(q), Span<double>(k), Span<double>(v), Span<double>(output), Span<double>(logSumExp), Span<double>(dO),
                Span<double>(dq), Span<double>(dk), Span<double>(dv), shape,
                p is null ? default : Span<double>(p), dp is null ? default : Span<double>(dp), call.Mask, call.Causal, call.Scale);
        }

        return (dq, dk, dv, dp);
    }

    /// <summary>Autograd of the materialized attention, built from the normalizer's formula, recorded for a further backward.</summary>
    private static (Tensor, Tensor, Tensor, Tensor?) DifferentiableBackward(
        Call call, Tensor query, Tensor key, Tensor value, Tensor? parameters, Tensor outputGradient)
    {
        using Tensor? mask = call.Mask is null ? null : tensor(call.Mask).view(call.Shape.Batch, call.Shape.Keys);
        Tensor?[] gradients = GraphGradients.Of(
            () => FusedAttention.Materialized(query, key, value, mask, call.Causal, call.Scale,
                scores => call.Normalizer.Formula(scores, parameters, logarithm: false)),
            outputGradient, query, key, value, parameters);
        return (gradients[0]!, gradients[1]!, gradients[2]!, gradients[3]);
    }

    private static Span<T> Span<T>(Tensor contiguous)
        where T : unmanaged => TorchNormalizerRunner.Elements<T>(contiguous);
}
