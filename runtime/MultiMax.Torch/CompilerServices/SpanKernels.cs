using System;

namespace MultiMax.Torch.CompilerServices;

/// <summary>A generated span forward, e.g. <c>Ops.MultiMax2(x, y, rowLength, parameters)</c>, as the Torch runner calls it.</summary>
public delegate void SpanForward<T>(ReadOnlySpan<T> x, Span<T> y, int rowLength, ReadOnlySpan<T> parameters);

/// <summary>A generated span backward, e.g. <c>Ops.MultiMax2Backward(…)</c>, as the Torch runner calls it.</summary>
public delegate void SpanBackward<T>(
    ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int rowLength,
    ReadOnlySpan<T> parameters, Span<T> parameterGradients);
