using System;
using System.Collections.Generic;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using MultiMax.Gpu.Tests.Declarations;
using MultiMax.Tests.Reference;
using BuiltIns = global::MultiMax.Normalizers;

namespace MultiMax.Gpu.Tests.CrossEntropy;

/// <summary>A generated <c>&lt;Name&gt;Gpu.CrossEntropyBackward</c>, with an empty parameters view where the declaration has none.</summary>
public delegate double GpuLossAndGradients<T>(
    AcceleratorStream stream, ArrayView<T> hidden, ArrayView<T> weight, ArrayView<T> bias, ArrayView<long> targets, CrossEntropyShape shape,
    ArrayView<T> parameters, ArrayView<T> hiddenGradient, ArrayView<T> weightGradient, ArrayView<T> biasGradient, ArrayView<T> parameterGradients, long ignoreIndex)
    where T : unmanaged;

/// <summary>A generated <c>&lt;Name&gt;Gpu.CrossEntropy</c>, likewise.</summary>
public delegate double GpuLoss<T>(
    AcceleratorStream stream, ArrayView<T> hidden, ArrayView<T> weight, ArrayView<T> bias, ArrayView<long> targets, CrossEntropyShape shape,
    ArrayView<T> parameters, long ignoreIndex)
    where T : unmanaged;

/// <summary>The span operator <c>&lt;Name&gt;CrossEntropyBackward</c> the GPU kernels must agree with.</summary>
public delegate double CpuLossAndGradients<T>(
    ReadOnlySpan<T> hidden, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<long> targets, CrossEntropyShape shape,
    ReadOnlySpan<T> parameters, Span<T> hiddenGradient, Span<T> weightGradient, Span<T> biasGradient, Span<T> parameterGradients, long ignoreIndex)
    where T : unmanaged;

/// <summary>The fused loss of one generated GPU class in one element type, with its CPU twin and reference layout.</summary>
public sealed record GpuCrossEntropyCase<T>(
    string Name, ParameterLayout Layout, GpuLoss<T> Loss, GpuLossAndGradients<T> LossAndGradients, CpuLossAndGradients<T> Cpu)
    where T : unmanaged
{
    public override string ToString() => Name;
}

/// <summary>The generated GPU losses the tests run: built-ins and user declarations (constants, affine, none learnable).</summary>
public static class GpuCrossEntropyCatalog
{
    public static IEnumerable<GpuCrossEntropyCase<double>> Double()
    {
        yield return new("SoftMax", new ParameterLayout(),
            (s, h, w, b, t, shape, _, i) => GpuNormalizers.SoftMaxGpu.CrossEntropy(s, h, w, b, t, shape, i),
            (s, h, w, b, t, shape, _, dh, dw, db, _, i) => GpuNormalizers.SoftMaxGpu.CrossEntropyBackward(s, h, w, b, t, shape, dh, dw, db, i),
            (h, w, b, t, shape, _, dh, dw, db, _, i) => BuiltIns.SoftMaxCrossEntropyBackward(h, w, b, t, shape, dh, dw, db, i));
        yield return new("MultiMax2", new ParameterLayout(order: 2),
            GpuNormalizers.MultiMax2Gpu.CrossEntropy, GpuNormalizers.MultiMax2Gpu.CrossEntropyBackward,
            (h, w, b, t, shape, p, dh, dw, db, dp, i) => BuiltIns.MultiMax2CrossEntropyBackward(h, w, b, t, shape, p, dh, dw, db, dp, i));
        yield return new("Custom", new ParameterLayout().With(Side.Below, 1, 2.0, -1.0).With(Side.Above, 2).With(Side.Above, 3, -0.25, -0.5),
            Ops.CustomGpu.CrossEntropy, Ops.CustomGpu.CrossEntropyBackward,
            (h, w, b, t, shape, p, dh, dw, db, dp, i) => Ops.CustomCrossEntropyBackward(h, w, b, t, shape, p, dh, dw, db, dp, i));
        yield return new("Clip", new ParameterLayout(log: true).With(Side.Above, 1, 1.0, 0.5),
            (s, h, w, b, t, shape, _, i) => Outer<int>.Inner.ClipGpu.CrossEntropy(s, h, w, b, t, shape, i),
            (s, h, w, b, t, shape, _, dh, dw, db, _, i) => Outer<int>.Inner.ClipGpu.CrossEntropyBackward(s, h, w, b, t, shape, dh, dw, db, i),
            (h, w, b, t, shape, _, dh, dw, db, _, i) => Outer<int>.Inner.ClipCrossEntropyBackward(h, w, b, t, shape, dh, dw, db, i));
        yield return new("Hinged", ParameterLayout.Of(ExpressionModulators.Hinge),
            Ops.HingedGpu.CrossEntropy, Ops.HingedGpu.CrossEntropyBackward,
            (h, w, b, t, shape, p, dh, dw, db, dp, i) => Ops.HingedCrossEntropyBackward(h, w, b, t, shape, p, dh, dw, db, dp, i));
        yield return new("Kitchen", ParameterLayout.Of(ExpressionModulators.Everything, log: true),
            Ops.KitchenGpu.CrossEntropy, Ops.KitchenGpu.CrossEntropyBackward,
            (h, w, b, t, shape, p, dh, dw, db, dp, i) => Ops.KitchenCrossEntropyBackward(h, w, b, t, shape, p, dh, dw, db, dp, i));
    }

    public static IEnumerable<GpuCrossEntropyCase<float>> Float()
    {
        yield return new("MultiMax2", new ParameterLayout(order: 2),
            GpuNormalizers.MultiMax2Gpu.CrossEntropy, GpuNormalizers.MultiMax2Gpu.CrossEntropyBackward,
            (h, w, b, t, shape, p, dh, dw, db, dp, i) => BuiltIns.MultiMax2CrossEntropyBackward(h, w, b, t, shape, p, dh, dw, db, dp, i));
        yield return new("MultiMaxV2", new ParameterLayout(order: 1, affine: true),
            GpuNormalizers.MultiMaxV2Gpu.CrossEntropy, GpuNormalizers.MultiMaxV2Gpu.CrossEntropyBackward,
            (h, w, b, t, shape, p, dh, dw, db, dp, i) => BuiltIns.MultiMaxV2CrossEntropyBackward(h, w, b, t, shape, p, dh, dw, db, dp, i));
        yield return new("LogV2", new ParameterLayout(order: 1, affine: true, log: true),
            Ops.LogV2Gpu.CrossEntropy, Ops.LogV2Gpu.CrossEntropyBackward,
            (h, w, b, t, shape, p, dh, dw, db, dp, i) => Ops.LogV2CrossEntropyBackward(h, w, b, t, shape, p, dh, dw, db, dp, i));
        yield return new("Tempered", ParameterLayout.Of(ExpressionModulators.Temperature),
            Ops.TemperedGpu.CrossEntropy, Ops.TemperedGpu.CrossEntropyBackward,
            (h, w, b, t, shape, p, dh, dw, db, dp, i) => Ops.TemperedCrossEntropyBackward(h, w, b, t, shape, p, dh, dw, db, dp, i));
        yield return new("CappedMultiMax2", ParameterLayout.Of(ExpressionModulators.CappedMultiMax),
            Ops.CappedMultiMax2Gpu.CrossEntropy, Ops.CappedMultiMax2Gpu.CrossEntropyBackward,
            (h, w, b, t, shape, p, dh, dw, db, dp, i) => Ops.CappedMultiMax2CrossEntropyBackward(h, w, b, t, shape, p, dh, dw, db, dp, i));
        yield return new("Capped", ParameterLayout.Of(ExpressionModulators.SoftCap),
            Ops.CappedGpu.CrossEntropy, Ops.CappedGpu.CrossEntropyBackward,
            (h, w, b, t, shape, p, dh, dw, db, dp, i) => Ops.CappedCrossEntropyBackward(h, w, b, t, shape, p, dh, dw, db, dp, i));
    }

    public static IEnumerable<object[]> DoubleNames() => Double().Select(c => new object[] { c.Name });

    public static IEnumerable<object[]> FloatNames() => Float().Select(c => new object[] { c.Name });
}
