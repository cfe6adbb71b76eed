using System;
using System.Collections.Generic;
using System.Linq;
using MultiMax.Tests.Declarations;
using MultiMax.Tests.Reference;
using BuiltIns = global::MultiMax.Normalizers;

namespace MultiMax.Tests.Support;

/// <summary>A generated <c>&lt;Name&gt;Attention</c>, with an empty parameters span where the declaration has none.</summary>
public delegate void AttentionForward<T>(
    ReadOnlySpan<T> query, ReadOnlySpan<T> key, ReadOnlySpan<T> value, Span<T> output, Span<T> logSumExp,
    AttentionShape shape, ReadOnlySpan<T> parameters, ReadOnlySpan<bool> keyPaddingMask, bool causal, T? scale)
    where T : struct;

/// <summary>A generated <c>&lt;Name&gt;AttentionBackward</c>, likewise.</summary>
public delegate void AttentionBackward<T>(
    ReadOnlySpan<T> query, ReadOnlySpan<T> key, ReadOnlySpan<T> value, ReadOnlySpan<T> output, ReadOnlySpan<T> logSumExp,
    ReadOnlySpan<T> outputGradient, Span<T> queryGradient, Span<T> keyGradient, Span<T> valueGradient,
    AttentionShape shape, ReadOnlySpan<T> parameters, Span<T> parameterGradients, ReadOnlySpan<bool> keyPaddingMask, bool causal, T? scale)
    where T : struct;

/// <summary>The fused attention of one declaration, in the element types it is declared for.</summary>
public sealed record AttentionOperator(
    string Name, Func<ParameterLayout> Layout,
    AttentionForward<float>? ForwardFloat = null, AttentionBackward<float>? BackwardFloat = null,
    AttentionForward<double>? ForwardDouble = null, AttentionBackward<double>? BackwardDouble = null);

/// <summary>The generated attention operators the tests run: built-ins and user declarations (constants, affine, log output).</summary>
public static class AttentionCatalog
{
    public static readonly IReadOnlyList<AttentionOperator> All = new AttentionOperator[]
    {
        new("SoftMax", () => new ParameterLayout(),
            (q, k, v, o, l, s, _, m, c, sc) => BuiltIns.SoftMaxAttention(q, k, v, o, l, s, m, c, sc),
            (q, k, v, o, l, g, dq, dk, dv, s, _, _, m, c, sc) => BuiltIns.SoftMaxAttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, m, c, sc),
            (q, k, v, o, l, s, _, m, c, sc) => BuiltIns.SoftMaxAttention(q, k, v, o, l, s, m, c, sc),
            (q, k, v, o, l, g, dq, dk, dv, s, _, _, m, c, sc) => BuiltIns.SoftMaxAttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, m, c, sc)),
        new("MultiMax2", () => new ParameterLayout(order: 2),
            (q, k, v, o, l, s, p, m, c, sc) => BuiltIns.MultiMax2Attention(q, k, v, o, l, s, p, m, c, sc),
            (q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc) => BuiltIns.MultiMax2AttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc),
            (q, k, v, o, l, s, p, m, c, sc) => BuiltIns.MultiMax2Attention(q, k, v, o, l, s, p, m, c, sc),
            (q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc) => BuiltIns.MultiMax2AttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc)),
        new("MultiMaxV2", () => new ParameterLayout(order: 1, affine: true),
            (q, k, v, o, l, s, p, m, c, sc) => BuiltIns.MultiMaxV2Attention(q, k, v, o, l, s, p, m, c, sc),
            (q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc) => BuiltIns.MultiMaxV2AttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc),
            (q, k, v, o, l, s, p, m, c, sc) => BuiltIns.MultiMaxV2Attention(q, k, v, o, l, s, p, m, c, sc),
            (q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc) => BuiltIns.MultiMaxV2AttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc)),
        new("Ops.Custom", () => new ParameterLayout().With(Side.Below, 1, 2.0, -1.0).With(Side.Above, 2),
            ForwardDouble: (q, k, v, o, l, s, p, m, c, sc) => Ops.CustomAttention(q, k, v, o, l, s, p, m, c, sc),
            BackwardDouble: (q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc) => Ops.CustomAttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc)),
        new("Ops.Mixed", () => new ParameterLayout(order: 1, affine: true, log: true)
                .With(Side.Above, 3, -0.25, 0.0).With(Side.Below, 2, threshold: 0.5).With(Side.Above, 1, coefficient: 1.0).With(Side.Below, 1, coefficient: 0.0),
            (q, k, v, o, l, s, p, m, c, sc) => Ops.MixedAttention(q, k, v, o, l, s, p, m, c, sc),
            (q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc) => Ops.MixedAttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc),
            (q, k, v, o, l, s, p, m, c, sc) => Ops.MixedAttention(q, k, v, o, l, s, p, m, c, sc),
            (q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc) => Ops.MixedAttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc)),
        new("Ops.Fixed", () => new ParameterLayout().With(Side.Below, 2, 0.5, 0.0).With(Side.Above, 1, -0.5, 1.0),
            ForwardDouble: (q, k, v, o, l, s, _, m, c, sc) => Ops.FixedAttention(q, k, v, o, l, s, m, c, sc),
            BackwardDouble: (q, k, v, o, l, g, dq, dk, dv, s, _, _, m, c, sc) => Ops.FixedAttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, m, c, sc)),

        // σ written as C#: soft-capped scores (Gemma 2), a learnable temperature, a piecewise σ, a capped MultiMax.
        new("Ops.Capped", () => ParameterLayout.Of(ExpressionModulators.SoftCap),
            (q, k, v, o, l, s, p, m, c, sc) => Ops.CappedAttention(q, k, v, o, l, s, p, m, c, sc),
            (q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc) => Ops.CappedAttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc),
            (q, k, v, o, l, s, p, m, c, sc) => Ops.CappedAttention(q, k, v, o, l, s, p, m, c, sc),
            (q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc) => Ops.CappedAttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc)),
        new("Ops.Tempered", () => ParameterLayout.Of(ExpressionModulators.Temperature),
            ForwardFloat: (q, k, v, o, l, s, p, m, c, sc) => Ops.TemperedAttention(q, k, v, o, l, s, p, m, c, sc),
            BackwardFloat: (q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc) => Ops.TemperedAttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc)),
        new("Ops.Hinged", () => ParameterLayout.Of(ExpressionModulators.Hinge),
            ForwardDouble: (q, k, v, o, l, s, p, m, c, sc) => Ops.HingedAttention(q, k, v, o, l, s, p, m, c, sc),
            BackwardDouble: (q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc) => Ops.HingedAttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc)),
        new("Ops.CappedMultiMax2", () => ParameterLayout.Of(ExpressionModulators.CappedMultiMax),
            (q, k, v, o, l, s, p, m, c, sc) => Ops.CappedMultiMax2Attention(q, k, v, o, l, s, p, m, c, sc),
            (q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc) => Ops.CappedMultiMax2AttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc),
            (q, k, v, o, l, s, p, m, c, sc) => Ops.CappedMultiMax2Attention(q, k, v, o, l, s, p, m, c, sc),
            (q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc) => Ops.CappedMultiMax2AttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, p, dp, m, c, sc)),
    };

    public static IEnumerable<object[]> Float => All.Where(a => a.ForwardFloat is not null).Select(a => new object[] { a.Name });

    public static IEnumerable<object[]> Double => All.Where(a => a.ForwardDouble is not null).Select(a => new object[] { a.Name });

    public static AttentionOperator Get(string name) => All.Single(a => a.Name == name);
}
