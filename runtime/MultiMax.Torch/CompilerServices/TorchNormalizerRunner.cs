using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MultiMax.Torch.CompilerServices;

/// <summary>
/// What generated <c>&lt;Name&gt;Function</c> and <c>&lt;Name&gt;Module</c> classes call: argument checks, the choice
/// between the fused span kernels and the torch-ops formula, and the kernels run over a tensor's own memory.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class TorchNormalizerRunner
{
    /// <summary>The standard deviation the reference code initialises <c>ts</c> and <c>ranges</c> with.</summary>
    public const double InitialStandardDeviation = 0.02;

    /// <summary>Throws <see cref="ArgumentException"/> for input no path can normalize; nothing has run then.</summary>
    public static void CheckArguments(Tensor x, Tensor? parameters, int parameterCount)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!x.is_floating_point())
        {
            throw new ArgumentException($"The input must be a floating-point tensor, but its dtype is {x.dtype}.", nameof(x));
        }

        if (x.dim() == 0)
        {
            throw new ArgumentException("The input must have at least one axis: normalization runs along the last.", nameof(x));
        }

        if (parameterCount == 0)
        {
            return;
        }

        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.dim() != 1 || parameters.shape[0] != parameterCount)
        {
            throw new ArgumentException(
                $"The parameters must be a vector of {parameterCount} value{(parameterCount == 1 ? "" : "s")}, but their shape is [{string.Join(", ", parameters.shape)}].",
                nameof(parameters));
        }

        if (parameters.dtype != x.dtype || !TensorArguments.SameDevice(parameters, x))
        {
            throw new ArgumentException(
                $"The parameters ({parameters.dtype} on {parameters.device}) must have the input's dtype and device ({x.dtype} on {x.device}).",
                nameof(parameters));
        }
    }

    /// <summary>
    /// Whether the span kernels can run on <paramref name="x"/>: a CPU tensor of a declared element type whose rows
    /// fit in a span (chunks of whole rows are at most 2 GB).
    /// </summary>
    public static bool CanFuse(Tensor x, bool fusesFloat, bool fusesDouble) =>
        x.device_type == DeviceType.CPU
        && ((x.dtype == ScalarType.Float32 && fusesFloat) || (x.dtype == ScalarType.Float64 && fusesDouble))
        && x.shape[^1] <= int.MaxValue / sizeof(double);

    /// <summary>
    /// Runs a span forward over <paramref name="x"/>'s memory (made contiguous first, a no-op when it already is);
    /// returns the new output.
    /// </summary>
    public static Tensor Forward<T>(Tensor x, Tensor? parameters, SpanForward<T> kernel)
        where T : unmanaged
    {
        using Tensor input = x.contiguous();
        using Tensor? weights = parameters?.contiguous();
        Tensor y = empty_like(input);
        if (input.numel() == 0)
        {
            return y;
        }

        int rowLength = checked((int)input.shape[^1]);
        ReadOnlySpan<T> parameterSpan = weights is null ? default : Elements<T>(weights);
        foreach ((long first, long count) in RowChunks<T>(input))
        {
            using Tensor xRows = Rows(input, first, count, rowLength), yRows = Rows(y, first, count, rowLength);
            kernel(Elements<T>(xRows), Elements<T>(yRows), rowLength, parameterSpan);
        }

        return y;
    }

    /// <summary>
    /// The tensor a generated forward returns: a view of <paramref name="y"/>, which PyTorch treats as made inside the
    /// custom function, so that editing it in place is refused at once with PyTorch's own message (the backward reads
    /// y; an edit would make its gradients wrong, and an error inside the backward could not reach the caller).
    /// </summary>
    public static Tensor AsOutput(Tensor y) => y.view(y.shape);

    /// <summary>
    /// Runs a span backward; returns the input gradient and the parameter gradients summed over every row (null
    /// without parameters).
    /// </summary>
    public static (Tensor Dx, Tensor? ParameterGradients) Backward<T>(
        Tensor x, Tensor y, Tensor dy, Tensor? parameters, SpanBackward<T> kernel)
        where T : unmanaged, INumberBase<T>
    {
        using Tensor input = x.contiguous();
        using Tensor? weights = parameters?.contiguous();
        using Tensor converted = dy.dtype == x.dtype ? dy.alias() : dy.to(x.dtype);
        using Tensor upstream = converted.contiguous();
        Tensor dx = empty_like(input);
        Tensor? parameterGradients = weights is null ? null : zeros_like(weights);
        if (input.numel() == 0)
        {
            return (dx, parameterGradients);
        }

        int rowLength = checked((int)input.shape[^1]);
        ReadOnlySpan<T> parameterSpan = weights is null ? default : Elements<T>(weights);
        Span<T> gradientSpan = parameterGradients is null ? default : Elements<T>(parameterGradients);
        List<(long First, long Count)> chunks = RowChunks<T>(input);

        // One chunk (every tensor under 2 GB) writes the gradients directly; more add up per-chunk sums.
        Span<T> chunkGradients = chunks.Count == 1 ? gradientSpan : new T[gradientSpan.Length];
        var total = new double[gradientSpan.Length];
        foreach ((long first, long count) in chunks)
        {
            using Tensor xRows = Rows(input, first, count, rowLength), yRows = Rows(y, first, count, rowLength),
                dyRows = Rows(upstream, first, count, rowLength), dxRows = Rows(dx, first, count, rowLength);
            kernel(Elements<T>(xRows), Elements<T>(yRows), Elements<T>(dyRows), Elements<T>(dxRows), rowLength, parameterSpan, chunkGradients);
            if (chunks.Count > 1)
            {
                for (int i = 0; i < total.Length; i++)
                {
                    total[i] += double.CreateTruncating(chunkGradients[i]);
                }
            }
        }

        if (chunks.Count > 1)
        {
            for (int i = 0; i < total.Length; i++)
            {
                gradientSpan[i] = T.CreateTruncating(total[i]);
            }
        }

        return (dx, parameterGradients);
    }

    /// <summary>
    /// A generated autograd function's backward, from its saved <c>x, y[, parameters]</c>: the fused span backward
    /// (<paramref name="kernels"/>), or — when the caller asked for a graph of the gradients (<c>create_graph</c>, so
    /// grad mode is on) — autograd of <paramref name="formula"/>, whose gradients are differentiable again (double
    /// backward: gradient penalties, Hessian-vector products).
    /// </summary>
    /// <remarks>
    /// No exception may leave a managed backward: the native autograd engine that calls it cannot carry one, and the
    /// process would end. A failure is kept in <see cref="BackwardFailures"/> and answered with a gradient of the wrong
    /// shape, which the engine refuses with an error that <c>Tensor.backward()</c> throws as a catchable exception.
    /// </remarks>
    /// <param name="ctx">The context the forward saved <c>x, y[, parameters]</c> in.</param>
    /// <param name="dy">The gradient with respect to the forward's output.</param>
    /// <param name="function">The function's name, for <see cref="BackwardFailures"/>.</param>
    /// <param name="inputs">How many tensors <c>apply</c> took: 1 (x), or 2 (x, parameters).</param>
    /// <param name="formula">The normalizer as torch ops, for a differentiable backward.</param>
    /// <param name="kernels">The fused backward, from x, y, dy and the parameters.</param>
    public static List<Tensor> Backward(
        autograd.AutogradContext ctx, Tensor dy, string function, int inputs,
        Func<Tensor, Tensor?, Tensor> formula,
        Func<Tensor, Tensor, Tensor, Tensor?, (Tensor Dx, Tensor? ParameterGradients)> kernels)
    {
        try
        {
            List<Tensor> saved = ctx.get_saved_variables();
            Tensor x = saved[0], y = saved[1];
            Tensor? parameters = saved.Count > 2 ? saved[2] : null;
            if (is_grad_enabled())
            {
                return DifferentiableBackward(x, parameters, dy, formula);
            }

            (Tensor dx, Tensor? parameterGradients) = kernels(x, y, dy, parameters);
            return parameterGradients is null ? new() { dx } : new() { dx, parameterGradients };
        }
        catch (Exception exception)
        {
            BackwardFailures.Record(function, exception);
            var invalid = new List<Tensor>();
            for (int i = 0; i < inputs; i++)
            {
                invalid.Add(empty(0));
            }

            return invalid;
        }
    }

    /// <summary>Autograd of the formula at the saved inputs, recorded for a further backward.</summary>
    private static List<Tensor> DifferentiableBackward(Tensor x, Tensor? parameters, Tensor dy, Func<Tensor, Tensor?, Tensor> formula)
    {
        Tensor?[] gradients = GraphGradients.Of(() => formula(x, parameters), dy, x, parameters);
        return parameters is null ? new() { gradients[0]! } : new() { gradients[0]!, gradients[1]! };
    }

    /// <summary>
    /// SoftMax (or LogSoftMax) of σ along the last axis with masked entries at probability 0 (log −∞), and fully
    /// masked rows all 0 (all −∞) rather than NaN: the torch-ops form of the span kernels' semantics.
    /// </summary>
    public static Tensor MaskedSoftMax(Tensor sigma, Tensor masked, bool logarithm)
    {
        using var scope = NewDisposeScope();
        Tensor rowMasked = masked.all(-1, keepdim: true);
        // A fully masked row gets σ = 0 before SoftMax, so that no (−∞) − (−∞) makes a NaN, and is then overwritten.
        Tensor logits = sigma.masked_fill(masked, double.NegativeInfinity).masked_fill(rowMasked, 0);
        // Filling every masked entry (not only fully masked rows) after the SoftMax keeps a masked entry's upstream
        // gradient out of the row's shared sum, as the fused kernels do: it may be anything, ∞ from a log of its 0.
        Tensor y = logarithm
            ? nn.functional.log_softmax(logits, -1).masked_fill(masked, double.NegativeInfinity)
            : nn.functional.softmax(logits, -1).masked_fill(masked, 0);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Refuses a parameter that is not a floating-point vector of <paramref name="length"/> values, with the module's
    /// parameter named (<paramref name="name"/>, e.g. <c>MultiMax2Module.ts</c>): what a generated module's setters
    /// check before a replacement takes effect.
    /// </summary>
    public static void CheckParameter(Tensor value, int length, string name)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        if (value.dim() != 1 || value.shape[0] != length || !value.is_floating_point())
        {
            throw new ArgumentException(
                $"{name} must be a floating-point vector of {length} value{(length == 1 ? "" : "s")}, [{length}], but it is {value.dtype} [{string.Join(", ", value.shape)}].",
                nameof(value));
        }
    }

    /// <summary>
    /// A fresh vector drawn as the reference code draws <c>ts</c> and <c>ranges</c>: <c>trunc_normal_(std=.02)</c>,
    /// a normal with mean 0 and std 0.02 truncated to [−2, 2], by inverse transform sampling as PyTorch does it.
    /// </summary>
    /// <remarks>TorchSharp 0.107's own <c>nn.init.trunc_normal_</c> fills the tensor with the std (a bug), so it is not used.</remarks>
    public static Tensor TruncatedNormal(int length)
    {
        const double Mean = 0, Lower = -2, Upper = 2;
        using (no_grad())
        {
            using var scope = NewDisposeScope();
            // Φ(z) = (1 + erf(z/√2))/2; sample erf's argument image uniformly between the bounds' images.
            double lower = ErfImage((Lower - Mean) / InitialStandardDeviation);
            double upper = ErfImage((Upper - Mean) / InitialStandardDeviation);
            Tensor draws = empty(length).uniform_(lower, upper).erfinv_()
                .mul_(InitialStandardDeviation * Math.Sqrt(2)).add_(Mean).clamp_(Lower, Upper);
            return draws.MoveToOuterDisposeScope();
        }

        static double ErfImage(double z)
        {
            using Tensor image = tensor(z / Math.Sqrt(2), ScalarType.Float64).erf();
            return image.item<double>();
        }
    }

    /// <summary>
    /// Whole rows, in chunks whose bytes a span can address (2 GB): one chunk for every tensor smaller than that.
    /// </summary>
    private static List<(long First, long Count)> RowChunks<T>(Tensor x)
        where T : unmanaged
    {
        long rowLength = x.shape[^1], rows = x.numel() / rowLength;
        long rowsPerChunk = Math.Max(1, int.MaxValue / (rowLength * Marshal.SizeOf<T>()));
        var chunks = new List<(long, long)>();
        for (long first = 0; first < rows; first += rowsPerChunk)
        {
            chunks.Add((first, Math.Min(rowsPerChunk, rows - first)));
        }

        return chunks;
    }

    /// <summary>Rows [first, first + count) of a contiguous tensor, as a view over the same memory.</summary>
    private static Tensor Rows(Tensor contiguous, long first, long count, int rowLength)
    {
        using Tensor matrix = contiguous.view(-1, rowLength);
        return matrix.narrow(0, first, count);
    }

    /// <summary>The elements of a contiguous CPU tensor, as a span over its native memory (no copy).</summary>
    internal static Span<T> Elements<T>(Tensor contiguous)
        where T : unmanaged =>
        MemoryMarshal.Cast<byte, T>(contiguous.bytes);
}
