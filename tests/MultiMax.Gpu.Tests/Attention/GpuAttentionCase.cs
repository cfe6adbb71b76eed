using System;
using System.Collections.Generic;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using MultiMax.Gpu.Tests.Declarations;
using MultiMax.Tests.Reference;
using BuiltIns = global::MultiMax.Normalizers;

namespace MultiMax.Gpu.Tests.Attention;

/// <summary>A generated <c>&lt;Name&gt;Gpu.Attention</c>, with an empty parameters view where the declaration has none.</summary>
public delegate void GpuAttentionForward<T>(
    AcceleratorStream stream, ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> output, ArrayView<T> logSumExp,
    AttentionShape shape, ArrayView<T> parameters, ArrayView<byte> keyPaddingMask, bool causal, T? scale)
    where T : unmanaged;

/// <summary>A generated <c>&lt;Name&gt;Gpu.AttentionBackward</c>, likewise.</summary>
public delegate void GpuAttentionBackward<T>(
    AcceleratorStream stream, ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> output, ArrayView<T> logSumExp,
    ArrayView<T> outputGradient, ArrayView<T> queryGradient, ArrayView<T> keyGradient, ArrayView<T> valueGradient,
    AttentionShape shape, ArrayView<T> parameters, ArrayView<T> parameterGradients, ArrayView<byte> keyPaddingMask, bool causal, T? scale)
    where T : unmanaged;

/// <summary>The span operator <c>&lt;Name&gt;Attention</c> the GPU kernels must agree with.</summary>
public delegate void CpuAttentionForward<T>(
    ReadOnlySpan<T> query, ReadOnlySpan<T> key, ReadOnlySpan<T> value, Span<T> output, Span<T> logSumExp,
    AttentionShape shape, ReadOnlySpan<T> parameters, ReadOnlySpan<bool> keyPaddingMask, bool causal)
    where T : unmanaged;

/// <summary>The span operator <c>&lt;Name&gt;AttentionBackward</c>.</summary>
public delegate void CpuAttentionBackward<T>(
    ReadOnlySpan<T> query, ReadOnlySpan<T> key, ReadOnlySpan<T> value, ReadOnlySpan<T> output, ReadOnlySpan<T> logSumExp,
    ReadOnlySpan<T> outputGradient, Span<T> queryGradient, Span<T> keyGradient, Span<T> valueGradient,
    AttentionShape shape, ReadOnlySpan<T> parameters, Span<T> parameterGradients, ReadOnlySpan<bool> keyPaddingMask, bool causal)
    where T : unmanaged;

/// <summary>The fused attention of one generated GPU class in one element type, with its CPU twin and reference layout.</summary>
public sealed record GpuAttentionCase<T>(
    string Name, ParameterLayout Layout,
    GpuAttentionForward<T> Forward, GpuAttentionBackward<T> Backward,
    CpuAttentionForward<T> CpuForward, CpuAttentionBackward<T> CpuBackward)
    where T : unmanaged
{
    public override string ToString() => Name;
}

/// <summary>The generated GPU attention the tests run: built-ins and user declarations (constants, affine, log output, none learnable).</summary>
public static class GpuAttentionCatalog
{
    public static IEnumerable<GpuAttentionCase<double>> Double()
    {
        yield return new("SoftMax", new ParameterLayout(),
            (s, q, k, v, o, l, shape, _, m, c, sc) => GpuNormalizers.SoftMaxGpu.Attention(s, q, k, v, o, l, shape, m, c, sc),
            (s, q, k, v, o, l, g, dq, dk, dv, shape, _, _, m, c, sc) => GpuNormalizers.SoftMaxGpu.AttentionBackward(s, q, k, v, o, l, g, dq, dk, dv, shape, m, c, sc),
            (q, k, v, o, l, shape, _, m, c) => BuiltIns.SoftMaxAttention(q, k, v, o, l, shape, m, c),
            (q, k, v, o, l, g, dq, dk, dv, shape, _, _, m, c) => BuiltIns.SoftMaxAttentionBackward(q, k, v, o, l, g, dq, dk, dv, shape, m, c));
        yield return new("MultiMax2", new ParameterLayout(order: 2),
            (s, q, k, v, o, l, shape, p, m, c, sc) => GpuNormalizers.MultiMax2Gpu.Attention(s, q, k, v, o, l, shape, p, m, c, sc),
            (s, q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c, sc) => GpuNormalizers.MultiMax2Gpu.AttentionBackward(s, q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c, sc),
            (q, k, v, o, l, shape, p, m, c) => BuiltIns.MultiMax2Attention(q, k, v, o, l, shape, p, m, c),
            (q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c) => BuiltIns.MultiMax2AttentionBackward(q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c));
        yield return new("MultiMaxV2", new ParameterLayout(order: 1, affine: true),
            (s, q, k, v, o, l, shape, p, m, c, sc) => GpuNormalizers.MultiMaxV2Gpu.Attention(s, q, k, v, o, l, shape, p, m, c, sc),
            (s, q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c, sc) => GpuNormalizers.MultiMaxV2Gpu.AttentionBackward(s, q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c, sc),
            (q, k, v, o, l, shape, p, m, c) => BuiltIns.MultiMaxV2Attention(q, k, v, o, l, shape, p, m, c),
            (q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c) => BuiltIns.MultiMaxV2AttentionBackward(q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c));
        yield return new("Custom", new ParameterLayout().With(Side.Below, 1, 2.0, -1.0).With(Side.Above, 2).With(Side.Above, 3, -0.25, -0.5),
            Ops.CustomGpu.Attention, Ops.CustomGpu.AttentionBackward,
            (q, k, v, o, l, shape, p, m, c) => Ops.CustomAttention(q, k, v, o, l, shape, p, m, c),
            (q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c) => Ops.CustomAttentionBackward(q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c));
        yield return new("Clip", new ParameterLayout(log: true).With(Side.Above, 1, 1.0, 0.5),
            (s, q, k, v, o, l, shape, _, m, c, sc) => Outer<int>.Inner.ClipGpu.Attention(s, q, k, v, o, l, shape, m, c, sc),
            (s, q, k, v, o, l, g, dq, dk, dv, shape, _, _, m, c, sc) => Outer<int>.Inner.ClipGpu.AttentionBackward(s, q, k, v, o, l, g, dq, dk, dv, shape, m, c, sc),
            (q, k, v, o, l, shape, _, m, c) => Outer<int>.Inner.ClipAttention(q, k, v, o, l, shape, m, c),
            (q, k, v, o, l, g, dq, dk, dv, shape, _, _, m, c) => Outer<int>.Inner.ClipAttentionBackward(q, k, v, o, l, g, dq, dk, dv, shape, m, c));
        yield return new("Hinged", ParameterLayout.Of(ExpressionModulators.Hinge),
            Ops.HingedGpu.Attention, Ops.HingedGpu.AttentionBackward,
            (q, k, v, o, l, shape, p, m, c) => Ops.HingedAttention(q, k, v, o, l, shape, p, m, c),
            (q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c) => Ops.HingedAttentionBackward(q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c));
        yield return new("CappedMultiMax2", ParameterLayout.Of(ExpressionModulators.CappedMultiMax),
            Ops.CappedMultiMax2Gpu.Attention, Ops.CappedMultiMax2Gpu.AttentionBackward,
            (q, k, v, o, l, shape, p, m, c) => Ops.CappedMultiMax2Attention(q, k, v, o, l, shape, p, m, c),
            (q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c) => Ops.CappedMultiMax2AttentionBackward(q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c));
        yield return new("Kitchen", ParameterLayout.Of(ExpressionModulators.Everything, log: true),
            Ops.KitchenGpu.Attention, Ops.KitchenGpu.AttentionBackward,
            (q, k, v, o, l, shape, p, m, c) => Ops.KitchenAttention(q, k, v, o, l, shape, p, m, c),
            (q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c) => Ops.KitchenAttentionBackward(q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c));
    }

    public static IEnumerable<GpuAttentionCase<float>> Float()
    {
        yield return new("SoftMax", new ParameterLayout(),
            (s, q, k, v, o, l, shape, _, m, c, sc) => GpuNormalizers.SoftMaxGpu.Attention(s, q, k, v, o, l, shape, m, c, sc),
            (s, q, k, v, o, l, g, dq, dk, dv, shape, _, _, m, c, sc) => GpuNormalizers.SoftMaxGpu.AttentionBackward(s, q, k, v, o, l, g, dq, dk, dv, shape, m, c, sc),
            (q, k, v, o, l, shape, _, m, c) => BuiltIns.SoftMaxAttention(q, k, v, o, l, shape, m, c),
            (q, k, v, o, l, g, dq, dk, dv, shape, _, _, m, c) => BuiltIns.SoftMaxAttentionBackward(q, k, v, o, l, g, dq, dk, dv, shape, m, c));
        yield return new("MultiMax2", new ParameterLayout(order: 2),
            (s, q, k, v, o, l, shape, p, m, c, sc) => GpuNormalizers.MultiMax2Gpu.Attention(s, q, k, v, o, l, shape, p, m, c, sc),
            (s, q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c, sc) => GpuNormalizers.MultiMax2Gpu.AttentionBackward(s, q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c, sc),
            (q, k, v, o, l, shape, p, m, c) => BuiltIns.MultiMax2Attention(q, k, v, o, l, shape, p, m, c),
            (q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c) => BuiltIns.MultiMax2AttentionBackward(q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c));
        yield return new("LogV2", new ParameterLayout(order: 1, affine: true, log: true),
            Ops.LogV2Gpu.Attention, Ops.LogV2Gpu.AttentionBackward,
            (q, k, v, o, l, shape, p, m, c) => Ops.LogV2Attention(q, k, v, o, l, shape, p, m, c),
            (q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c) => Ops.LogV2AttentionBackward(q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c));
        yield return new("Tempered", ParameterLayout.Of(ExpressionModulators.Temperature),
            Ops.TemperedGpu.Attention, Ops.TemperedGpu.AttentionBackward,
            (q, k, v, o, l, shape, p, m, c) => Ops.TemperedAttention(q, k, v, o, l, shape, p, m, c),
            (q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c) => Ops.TemperedAttentionBackward(q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c));
        yield return new("Capped", ParameterLayout.Of(ExpressionModulators.SoftCap),
            Ops.CappedGpu.Attention, Ops.CappedGpu.AttentionBackward,
            (q, k, v, o, l, shape, p, m, c) => Ops.CappedAttention(q, k, v, o, l, shape, p, m, c),
            (q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c) => Ops.CappedAttentionBackward(q, k, v, o, l, g, dq, dk, dv, shape, p, dp, m, c));
    }

    public static IEnumerable<object[]> DoubleNames() => Double().Select(c => new object[] { c.Name });

    public static IEnumerable<object[]> FloatNames() => Float().Select(c => new object[] { c.Name });
}
