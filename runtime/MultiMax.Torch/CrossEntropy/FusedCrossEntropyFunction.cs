using System;
using System.Collections.Generic;
using MultiMax.CompilerServices;
using MultiMax.Torch.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MultiMax.Torch;

/// <summary>
/// The autograd function behind <see cref="FusedCrossEntropy.Loss"/> on the fused path:
/// <c>apply(hidden, weight, bias or null, parameters or null, call)</c>. When a gradient will be asked for, the forward
/// computes the loss and the gradients of the mean loss in one pass (the logits are formed once); the backward only
/// scales them by the upstream gradient.
/// </summary>
internal sealed class FusedCrossEntropyFunction : autograd.SingleTensorFunction<FusedCrossEntropyFunction>
{
    /// <summary>
    /// Everything <c>apply</c> takes besides the tensors: the normalizer, the shape, the targets (a managed copy) and the
    /// ignore index, which optional tensors are present, and whether the forward computes the gradients too (grad mode
    /// was on and an input requires grad).
    /// </summary>
    internal sealed record Call(
        IFusedNormalizer Normalizer, CrossEntropyShape Shape, long[] Targets, long IgnoreIndex, bool HasBias, bool HasParameters, bool Gradients);

    public override string Name => "MultiMaxFusedCrossEntropy";

    /// <summary>Whether the fused kernels cover these tensors: CPU, a declared element type, and spans large enough.</summary>
    public static bool CanRun(IFusedNormalizer normalizer, Tensor hidden, Tensor weight, CrossEntropyShape shape) =>
        hidden.device_type == DeviceType.CPU
        && ((hidden.dtype == ScalarType.Float32 && normalizer.FloatCrossEntropy is not null)
            || (hidden.dtype == ScalarType.Float64 && normalizer.DoubleCrossEntropy is not null))
        && shape.HiddenLength < int.MaxValue / sizeof(double) && shape.WeightLength < int.MaxValue / sizeof(double)
        && hidden.shape[0] <= int.MaxValue && weight.shape[0] <= int.MaxValue
        && (hidden.dtype == ScalarType.Float32 ? CrossEntropyRunner.Fits<float>(shape) : CrossEntropyRunner.Fits<double>(shape));

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        Tensor hidden = (Tensor)vars[0], weight = (Tensor)vars[1];
        var bias = vars[2] as Tensor;
        var parameters = vars[3] as Tensor;
        var call = (Call)vars[4];
        double loss;
        var saved = new List<Tensor> { hidden, weight, bias!, parameters! };
        if (call.Gradients)
        {
            (loss, Tensor dh, Tensor dw, Tensor? db, Tensor? dp) = Run(call, hidden, weight, bias, parameters, withGradients: true);
            saved.AddRange(new[] { dh, dw, db!, dp! });
        }
        else
        {
            loss = Run(call, hidden, weight, bias, parameters, withGradients: false).Loss;
        }

        // The inputs as given (a double backward differentiates the materialized formula through them), and the gradients.
        ctx.save_for_backward(saved);
        ctx.save_data(nameof(Call), call);
        return tensor(loss, hidden.dtype);
    }

    /// <summary>
    /// The gradients of the mean loss times the upstream gradient; under <c>create_graph</c>, autograd of the materialized
    /// formula instead, so that they can be differentiated again. A failure never leaves this method (see <see cref="BackwardFailures"/>).
    /// </summary>
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor lossGradient)
    {
        var call = (Call)ctx.get_data(nameof(Call));
        try
        {
            List<Tensor> saved = ctx.get_saved_variables();
            Tensor hidden = saved[0], weight = saved[1];
            Tensor? bias = call.HasBias ? saved[2] : null, parameters = call.HasParameters ? saved[3] : null;
            (Tensor dh, Tensor dw, Tensor? db, Tensor? dp) = is_grad_enabled()
                ? DifferentiableBackward(call, hidden, weight, bias, parameters, lossGradient)
                : Scaled(call.Gradients
                    ? (saved[4], saved[5], call.HasBias ? saved[6] : null, call.HasParameters ? saved[7] : null)
                    : Gradients(call, hidden, weight, bias, parameters), lossGradient);
            return new() { dh, dw, db!, dp!, null! };
        }
        catch (Exception exception)
        {
            // A gradient of the wrong shape makes the engine refuse it with an error that backward() throws catchably.
            BackwardFailures.Record(Name, exception);
            return new() { empty(0), empty(0), call.HasBias ? empty(0) : null!, call.HasParameters ? empty(0) : null!, null! };
        }
    }

    private static (Tensor, Tensor, Tensor?, Tensor?) Gradients(Call call, Tensor hidden, Tensor weight, Tensor? bias, Tensor? parameters)
    {
        (_, Tensor dh, Tensor dw, Tensor? db, Tensor? dp) = Run(call, hidden, weight, bias, parameters, withGradients: true);
        return (dh, dw, db, dp);
    }

    /// <summary>The gradients of the mean times the upstream gradient: as they are when it is exactly 1, the usual case.</summary>
    private static (Tensor, Tensor, Tensor?, Tensor?) Scaled((Tensor Dh, Tensor Dw, Tensor? Db, Tensor? Dp) gradients, Tensor lossGradient)
    {
        if (lossGradient.ToDouble() == 1)
        {
            return gradients;
        }

        using Tensor scale = lossGradient.to(gradients.Dh.dtype);
        return (gradients.Dh.mul(scale), gradients.Dw.mul(scale), gradients.Db?.mul(scale), gradients.Dp?.mul(scale));
    }

    private static (double Loss, Tensor Dh, Tensor Dw, Tensor? Db, Tensor? Dp) Run(
        Call call, Tensor hidden, Tensor weight, Tensor? bias, Tensor? parameters, bool withGradients)
    {
        CrossEntropyShape shape = call.Shape;
        using Tensor h = hidden.contiguous(), w = weight.contiguous();
        using Tensor? b = bias?.contiguous(), p = parameters?.contiguous();
        Tensor dh = withGradients ? empty_like(h) : empty(0, h.dtype), dw = withGradients ? empty_like(w) : empty(0, h.dtype);
        Tensor? db = withGradients && b is not null ? empty_like(b) : null, dp = withGradients && p is not null ? empty_like(p) : null;
        double loss = h.dtype == ScalarType.Float32
            ? Run(call.Normalizer.FloatCrossEntropy!, call, h, w, b, p, dh, dw, db, dp, withGradients)
            : Run(call.Normalizer.DoubleCrossEntropy!, call, h, w, b, p, dh, dw, db, dp, withGradients);
        return (loss, dh, dw, db, dp);
    }

    private static double Run<T>(
        CrossEntropyKernels<T> kernels, Call call, Tensor h, Tensor w, Tensor? b, Tensor? p, Tensor dh, Tensor dw, Tensor? db, Tensor? dp, bool withGradients)
        where T : unmanaged
    {
        ReadOnlySpan<T> bias = b is null ? default : Span<T>(b), parameters = p is null ? default : Span<T>(p);
        return withGradients
            ? kernels.Gradients(Span<T>(h), Span<T>(w), bias, call.Targets, call.Shape, parameters,
                Span<T>(dh), Span<T>(dw), db is null ? default : Span<T>(db), dp is null ? default : Span<T>(dp), call.IgnoreIndex)
            : kernels.Loss(Span<T>(h), Span<T>(w), bias, call.Targets, call.Shape, parameters, call.IgnoreIndex);
    }

    /// <summary>Autograd of the materialized loss, built from the normalizer's formula, recorded for a further backward.</summary>
    private static (Tensor, Tensor, Tensor?, Tensor?) DifferentiableBackward(
        Call call, Tensor hidden, Tensor weight, Tensor? bias, Tensor? parameters, Tensor lossGradient)
    {
        using Tensor targets = tensor(call.Targets);
        Tensor?[] gradients = GraphGradients.Of(
            () => FusedCrossEntropy.Materialized(hidden, weight, bias, targets, call.IgnoreIndex,
                logits => call.Normalizer.Formula(logits, parameters, logarithm: true)),
            lossGradient, hidden, weight, bias, parameters);
        return (gradients[0]!, gradients[1]!, gradients[2], gradients[3]);
    }

    private static Span<T> Span<T>(Tensor contiguous)
        where T : unmanaged => TorchNormalizerRunner.Elements<T>(contiguous);
}
