using System;
using MultiMax.Tests.Reference;

namespace MultiMax.Tests.Support;

public delegate void Forward<T>(ReadOnlySpan<T> x, Span<T> y, int rowLength, ReadOnlySpan<T> parameters);

public delegate void Backward<T>(
    ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int rowLength,
    ReadOnlySpan<T> parameters, Span<T> parameterGradients);

/// <summary>A generated normalizer under test: its float and/or double entry points and its layout.</summary>
public sealed record Normalizer(
    string Name,
    Func<ParameterLayout> Layout,
    Forward<float>? ForwardFloat = null,
    Backward<float>? BackwardFloat = null,
    Forward<double>? ForwardDouble = null,
    Backward<double>? BackwardDouble = null)
{
    public override string ToString() => Name;
}
