using System;
using System.Collections.Generic;
using System.Numerics;
using MultiMax.CompilerServices;
using MultiMax.Torch.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MultiMax.Torch;

/// <summary>
/// The autograd function behind <see cref="FusedAttention.ScaledDotProduct"/> on the fused path:
/// <c>apply(query, key, value, parameters, bias, sinks, call)</c>, each of the last three tensors or null. The forward
/// keeps only O and the per-query log-sum-exp; the backward recomputes the weights tile by tile.
/// </summary>
internal sealed class FusedAttentionFunction : autograd.SingleTensorFunction<FusedAttentionFunction>
{
    /// <summary>
    /// Everything <c>apply</c> takes besides the tensors: the normalizer, the shape and the settings; the bias's 4-D
    /// shape (default without one) and whether its gradient is wanted.
    /// </summary>
    internal sealed record Call(
        IFusedNormalizer Normalizer, AttentionShape Shape, bool[]? Mask, AttentionMasking Masking, double Scale, bool HasParameters,
        AttentionBiasShape BiasShape, bool BiasGradient);

    public override string Name => "MultiMaxFusedAttention";

    /// <summary>
    /// Whether the fused kernels cover these tensors: CPU, a declared element type, a shape the kernels take
    /// (<see cref="AttentionRunner.Fits"/>: a head size up to <see cref="AttentionShape.MaxHeadSize"/>, …) and tensors
    /// whose bytes one span can hold (the bias, when there is one, in its own broadcast shape).
    /// </summary>
    public static bool CanRun(IFusedNormalizer normalizer, Tensor query, AttentionShape shape, Tensor? bias) =>
        query.device_type == DeviceType.CPU
        && ((query.dtype == ScalarType.Float32 && normalizer.FloatAttention is not null)
            || (query.dtype == ScalarType.Float64 && normalizer.DoubleAttention is not null))
        && AttentionRunner.Fits(shape)
        && shape.QueryLength < int.MaxValue / sizeof(double) && shape.KeyLength < int.MaxValue / sizeof(double)
        && shape.LogSumExpLength < int.MaxValue / sizeof(double)
        && (bias is null || bias.numel() < int.MaxValue / sizeof(double));

    /// <summary>Starts compiling the backward's loops for a call like <paramref name="call"/> in <paramref name="dtype"/> (see <see cref="AttentionWarmUp"/>).</summary>
    public static void WarmUpBackward(Call call, ScalarType dtype, Tensor? parameters)
    {
        int parameterCount = parameters is null ? 0 : checked((int)parameters.numel());
        if (dtype == ScalarType.Float32)
        {
            AttentionWarmUp.Backward(call.Normalizer.FloatAttention!, call, parameterCount);
        }
        else
        {
            AttentionWarmUp.Backward(call.Normalizer.DoubleAttention!, call, parameterCount);
        }
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        Tensor query = (Tensor)vars[0], key = (Tensor)vars[1], value = (Tensor)vars[2];
        Tensor? parameters = vars[3] as Tensor, bias = vars[4] as Tensor, sinks = vars[5] as Tensor;
        var call = (Call)vars[6];
        using Tensor q = query.contiguous(), k = key.contiguous(), v = value.contiguous();
        using Tensor? p = parameters?.contiguous(), b = bias?.contiguous(), c = sinks?.contiguous();
        Tensor output = empty_like(q);
        Tensor logSumExp = empty(new long[] { call.Shape.Batch, call.Shape.Heads, call.Shape.Queries }, q.dtype);
        if (q.dtype == ScalarType.Float32)
        {
            call.Normalizer.FloatAttention!.Forward(Span<float>(q), Span<float>(k), Span<float>(v), Span<float>(output), Span<float>(logSumExp),
                call.Shape, Span<float>(p), Options<float>(call, b, c));
        }
        else
        {
            call.Normalizer.DoubleAttention!.Forward(Span<double>(q), Span<double>(k), Span<double>(v), Span<double>(output), Span<double>(logSumExp),
                call.Shape, Span<double>(p), Options<double>(call, b, c));
        }

        // The inputs as given (a double backward differentiates the materialized formula through them), O and L.
        ctx.save_for_backward(new() { query, key, value, parameters!, bias!, sinks!, output, logSumExp });
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
            var inputs = new Inputs(saved[0], saved[1], saved[2],
                call.HasParameters ? saved[3] : null, call.BiasShape == default ? null : saved[4], Present(saved[5]));
            Gradients gradients = is_grad_enabled()
                ? DifferentiableBackward(call, inputs, outputGradient)
                : FusedBackward(call, inputs, saved[6], saved[7], outputGradient);
            return new() { gradients.Query, gradients.Key, gradients.Value, gradients.Parameters!, gradients.Bias!, gradients.Sinks!, null! };
        }
        catch (Exception exception)
        {
            // A gradient of the wrong shape makes the engine refuse it with an error that backward() throws catchably.
            BackwardFailures.Record(Name, exception);
            return new() { empty(0), empty(0), empty(0), call.HasParameters ? empty(0) : null!, null!, null!, null! };
        }
    }

    /// <summary>The tensors <c>apply</c> took, the optional ones null when absent.</summary>
    private sealed record Inputs(Tensor Query, Tensor Key, Tensor Value, Tensor? Parameters, Tensor? Bias, Tensor? Sinks);

    /// <summary>The gradient of each input, null for an absent one (or a bias whose gradient is not wanted).</summary>
    private sealed record Gradients(Tensor Query, Tensor Key, Tensor Value, Tensor? Parameters, Tensor? Bias, Tensor? Sinks);

    private static Gradients FusedBackward(Call call, Inputs inputs, Tensor output, Tensor logSumExp, Tensor outputGradient)
    {
        using Tensor q = inputs.Query.contiguous(), k = inputs.Key.contiguous(), v = inputs.Value.contiguous();
        using Tensor? p = inputs.Parameters?.contiguous(), b = inputs.Bias?.contiguous(), c = inputs.Sinks?.contiguous();
        using Tensor converted = outputGradient.dtype == q.dtype ? outputGradient.alias() : outputGradient.to(q.dtype);
        using Tensor dO = converted.contiguous();
        Tensor dq = empty_like(q), dk = empty_like(k), dv = empty_like(v);
        Tensor? dp = p is null ? null : empty_like(p);
        Tensor? db = b is not null && call.BiasGradient ? empty_like(b) : null;
        Tensor? dc = c is null ? null : empty_like(c);
        if (q.dtype == ScalarType.Float32)
        {
            call.Normalizer.FloatAttention!.Backward(Span<float>(q), Span<float>(k), Span<float>(v), Span<float>(output), Span<float>(logSumExp), Span<float>(dO),
                Span<float>(dq), Span<float>(dk), Span<float>(dv), call.Shape, Span<float>(p), Span<float>(dp), Options<float>(call, b, c), Span<float>(db), Span<float>(dc));
        }
        else
        {
            call.Normalizer.DoubleAttention!.Backward(Span<double>(q), Span<double>(k), Span<double>(v), Span<double>(output), Span<double>(logSumExp), Span<double>(dO),
                Span<double>(dq), Span<double>(dk), Span<double>(dv), call.Shape, Span<double>(p), Span<double>(dp), Options<double>(call, b, c), Span<double>(db), Span<double>(dc));
        }

        return new(dq, dk, dv, dp, db, dc);
    }

    /// <summary>Autograd of the materialized attention, built from the normalizer's formula, recorded for a further backward.</summary>
    private static Gradients DifferentiableBackward(Call call, Inputs inputs, Tensor outputGradient)
    {
        using Tensor? mask = call.Mask is null ? null : tensor(call.Mask).view(call.Shape.Batch, call.Shape.Keys);
        IFusedNormalizer normalizer = call.Normalizer;
        Tensor?[] gradients = GraphGradients.Of(
            () => FusedAttention.Materialized(inputs.Query, inputs.Key, inputs.Value, mask, call.Masking, call.Scale, inputs.Bias, inputs.Sinks,
                (scores, sinkColumn) => FusedAttention.Weights((nn.Module<Tensor, Tensor>)normalizer, inputs.Parameters, scores, sinkColumn)),
            outputGradient, inputs.Query, inputs.Key, inputs.Value, inputs.Parameters, inputs.Bias, inputs.Sinks);
        return new(gradients[0]!, gradients[1]!, gradients[2]!, gradients[3], call.BiasGradient ? gradients[4] : null, gradients[5]);
    }

    /// <summary>The span kernels' options of a call, over the contiguous bias and sinks (or none).</summary>
    private static AttentionOptions<T> Options<T>(Call call, Tensor? bias, Tensor? sinks)
        where T : unmanaged, IFloatingPointIeee754<T> => new()
        {
            KeyPaddingMask = call.Mask,
            Causal = call.Masking.Causal,
            Window = call.Masking.Window,
            Alignment = call.Masking.Alignment,
            Bias = Span<T>(bias),
            BiasShape = call.BiasShape,
            Sinks = Span<T>(sinks),
            Scale = T.CreateTruncating(call.Scale),
        };

    /// <summary>A saved optional input: null where <c>apply</c> got null (saved as an undefined tensor).</summary>
    private static Tensor? Present(Tensor? saved) => saved is null || saved.IsInvalid ? null : saved;

    private static Span<T> Span<T>(Tensor? contiguous)
        where T : unmanaged => contiguous is null ? default : TorchNormalizerRunner.Elements<T>(contiguous);
}
