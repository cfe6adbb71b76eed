using System;
using System.Numerics;

namespace MultiMax.Torch.CompilerServices;

/// <summary>A generated span forward, e.g. <c>Ops.MultiMax2(x, y, rowLength, parameters)</c>, as the Torch runner calls it.</summary>
public delegate void SpanForward<T>(ReadOnlySpan<T> x, Span<T> y, int rowLength, ReadOnlySpan<T> parameters);

/// <summary>A generated span backward, e.g. <c>Ops.MultiMax2Backward(…)</c>, as the Torch runner calls it.</summary>
public delegate void SpanBackward<T>(
    ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int rowLength,
    ReadOnlySpan<T> parameters, Span<T> parameterGradients);

/// <summary>A generated <c>&lt;Name&gt;Attention</c> with options, as the Torch runner calls it (an empty parameters span where it has none).</summary>
public delegate void SpanAttentionForward<T>(
    ReadOnlySpan<T> query, ReadOnlySpan<T> key, ReadOnlySpan<T> value, Span<T> output, Span<T> logSumExp,
    AttentionShape shape, ReadOnlySpan<T> parameters, AttentionOptions<T> options)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>A generated <c>&lt;Name&gt;AttentionBackward</c> with options, as the Torch runner calls it.</summary>
public delegate void SpanAttentionBackward<T>(
    ReadOnlySpan<T> query, ReadOnlySpan<T> key, ReadOnlySpan<T> value, ReadOnlySpan<T> output, ReadOnlySpan<T> logSumExp,
    ReadOnlySpan<T> outputGradient, Span<T> queryGradient, Span<T> keyGradient, Span<T> valueGradient,
    AttentionShape shape, ReadOnlySpan<T> parameters, Span<T> parameterGradients, AttentionOptions<T> options,
    Span<T> biasGradient, Span<T> sinkGradient)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>The fused attention of one declaration in one element type.</summary>
public sealed record AttentionKernels<T>(SpanAttentionForward<T> Forward, SpanAttentionBackward<T> Backward)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>A generated <c>&lt;Name&gt;CrossEntropy</c> as the Torch runner calls it (an empty parameters span where it has none).</summary>
public delegate double SpanCrossEntropyLoss<T>(
    ReadOnlySpan<T> hidden, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<long> targets,
    CrossEntropyShape shape, ReadOnlySpan<T> parameters, long ignoreIndex);

/// <summary>A generated <c>&lt;Name&gt;CrossEntropyBackward</c> as the Torch runner calls it.</summary>
public delegate double SpanCrossEntropyGradients<T>(
    ReadOnlySpan<T> hidden, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<long> targets,
    CrossEntropyShape shape, ReadOnlySpan<T> parameters,
    Span<T> hiddenGradient, Span<T> weightGradient, Span<T> biasGradient, Span<T> parameterGradients, long ignoreIndex);

/// <summary>The fused output-layer loss of one declaration in one element type.</summary>
public sealed record CrossEntropyKernels<T>(SpanCrossEntropyLoss<T> Loss, SpanCrossEntropyGradients<T> Gradients);
