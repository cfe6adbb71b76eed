using System;
using System.Collections.Generic;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using MultiMax.Gpu.Tests.Declarations;
using MultiMax.Tests.Reference;

namespace MultiMax.Gpu.Tests.Normalizers;

/// <summary>One generated GPU class under test, with its CPU span operators and its reference layout.</summary>
public sealed record GpuCase(
    string Name,
    ParameterLayout Layout,
    Action<AcceleratorStream, ArrayView<double>, ArrayView<double>, int, ArrayView<double>>? ForwardDouble,
    Action<AcceleratorStream, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, int, ArrayView<double>, ArrayView<double>>? BackwardDouble,
    Action<AcceleratorStream, ArrayView<float>, ArrayView<float>, int, ArrayView<float>>? ForwardFloat,
    Action<AcceleratorStream, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>>? BackwardFloat,
    CpuForward<double>? CpuDouble,
    CpuBackward<double>? CpuDoubleBackward,
    CpuForward<float>? CpuFloat,
    CpuBackward<float>? CpuFloatBackward)
{
    public override string ToString() => Name;

    public static IEnumerable<GpuCase> All()
    {
        yield return new("SoftMax", new ParameterLayout(),
            (s, x, y, n, _) => GpuNormalizers.SoftMaxGpu.Forward(s, x, y, n),
            (s, x, y, dy, dx, n, _, _) => GpuNormalizers.SoftMaxGpu.Backward(s, x, y, dy, dx, n),
            (s, x, y, n, _) => GpuNormalizers.SoftMaxGpu.Forward(s, x, y, n),
            (s, x, y, dy, dx, n, _, _) => GpuNormalizers.SoftMaxGpu.Backward(s, x, y, dy, dx, n),
            (x, y, n, _) => MultiMax.Normalizers.SoftMax(x, y, n), (x, y, dy, dx, n, _, _) => MultiMax.Normalizers.SoftMaxBackward(x, y, dy, dx, n),
            (x, y, n, _) => MultiMax.Normalizers.SoftMax(x, y, n), (x, y, dy, dx, n, _, _) => MultiMax.Normalizers.SoftMaxBackward(x, y, dy, dx, n));
        yield return Learnable("MultiMax1", new ParameterLayout(order: 1),
            GpuNormalizers.MultiMax1Gpu.Forward, GpuNormalizers.MultiMax1Gpu.Backward, GpuNormalizers.MultiMax1Gpu.Forward, GpuNormalizers.MultiMax1Gpu.Backward,
            MultiMax.Normalizers.MultiMax1, MultiMax.Normalizers.MultiMax1Backward, MultiMax.Normalizers.MultiMax1, MultiMax.Normalizers.MultiMax1Backward);
        yield return Learnable("MultiMax2", new ParameterLayout(order: 2),
            GpuNormalizers.MultiMax2Gpu.Forward, GpuNormalizers.MultiMax2Gpu.Backward, GpuNormalizers.MultiMax2Gpu.Forward, GpuNormalizers.MultiMax2Gpu.Backward,
            MultiMax.Normalizers.MultiMax2, MultiMax.Normalizers.MultiMax2Backward, MultiMax.Normalizers.MultiMax2, MultiMax.Normalizers.MultiMax2Backward);
        yield return Learnable("MultiMaxV2", new ParameterLayout(order: 1, affine: true),
            GpuNormalizers.MultiMaxV2Gpu.Forward, GpuNormalizers.MultiMaxV2Gpu.Backward, GpuNormalizers.MultiMaxV2Gpu.Forward, GpuNormalizers.MultiMaxV2Gpu.Backward,
            MultiMax.Normalizers.MultiMaxV2, MultiMax.Normalizers.MultiMaxV2Backward, MultiMax.Normalizers.MultiMaxV2, MultiMax.Normalizers.MultiMaxV2Backward);
        yield return Learnable("LogMultiMax2", new ParameterLayout(order: 2, log: true),
            GpuNormalizers.LogMultiMax2Gpu.Forward, GpuNormalizers.LogMultiMax2Gpu.Backward, GpuNormalizers.LogMultiMax2Gpu.Forward, GpuNormalizers.LogMultiMax2Gpu.Backward,
            MultiMax.Normalizers.LogMultiMax2, MultiMax.Normalizers.LogMultiMax2Backward, MultiMax.Normalizers.LogMultiMax2, MultiMax.Normalizers.LogMultiMax2Backward);
        yield return new("Custom", new ParameterLayout().With(Side.Below, 1, 2.0, -1.0).With(Side.Above, 2).With(Side.Above, 3, -0.25, -0.5),
            Ops.CustomGpu.Forward, Ops.CustomGpu.Backward, null, null, Ops.Custom, Ops.CustomBackward, null, null);
        yield return new("Clip", new ParameterLayout(log: true).With(Side.Above, 1, 1.0, 0.5),
            (s, x, y, n, _) => Outer<int>.Inner.ClipGpu.Forward(s, x, y, n),
            (s, x, y, dy, dx, n, _, _) => Outer<int>.Inner.ClipGpu.Backward(s, x, y, dy, dx, n),
            null, null,
            (x, y, n, _) => Outer<int>.Inner.Clip(x, y, n), (x, y, dy, dx, n, _, _) => Outer<int>.Inner.ClipBackward(x, y, dy, dx, n),
            null, null);
        yield return new("LogV2", new ParameterLayout(order: 1, affine: true, log: true),
            null, null, Ops.LogV2Gpu.Forward, Ops.LogV2Gpu.Backward, null, null, Ops.LogV2, Ops.LogV2Backward);
        yield return Learnable("Capped", ParameterLayout.Of(ExpressionModulators.SoftCap),
            Ops.CappedGpu.Forward, Ops.CappedGpu.Backward, Ops.CappedGpu.Forward, Ops.CappedGpu.Backward,
            Ops.Capped, Ops.CappedBackward, Ops.Capped, Ops.CappedBackward);
        yield return new("Tempered", ParameterLayout.Of(ExpressionModulators.Temperature),
            null, null, Ops.TemperedGpu.Forward, Ops.TemperedGpu.Backward, null, null, Ops.Tempered, Ops.TemperedBackward);
        yield return new("Hinged", ParameterLayout.Of(ExpressionModulators.Hinge),
            Ops.HingedGpu.Forward, Ops.HingedGpu.Backward, null, null, Ops.Hinged, Ops.HingedBackward, null, null);
        yield return Learnable("CappedMultiMax2", ParameterLayout.Of(ExpressionModulators.CappedMultiMax),
            Ops.CappedMultiMax2Gpu.Forward, Ops.CappedMultiMax2Gpu.Backward, Ops.CappedMultiMax2Gpu.Forward, Ops.CappedMultiMax2Gpu.Backward,
            Ops.CappedMultiMax2, Ops.CappedMultiMax2Backward, Ops.CappedMultiMax2, Ops.CappedMultiMax2Backward);
        yield return new("Kitchen", ParameterLayout.Of(ExpressionModulators.Everything, log: true),
            Ops.KitchenGpu.Forward, Ops.KitchenGpu.Backward, null, null, Ops.Kitchen, Ops.KitchenBackward, null, null);
    }

    public static IEnumerable<object[]> Names() => All().Select(c => new object[] { c.Name });

    public static GpuCase Named(string name) => All().Single(c => c.Name == name);

    private static GpuCase Learnable(
        string name, ParameterLayout layout,
        Action<AcceleratorStream, ArrayView<double>, ArrayView<double>, int, ArrayView<double>> forwardDouble,
        Action<AcceleratorStream, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, int, ArrayView<double>, ArrayView<double>> backwardDouble,
        Action<AcceleratorStream, ArrayView<float>, ArrayView<float>, int, ArrayView<float>> forwardFloat,
        Action<AcceleratorStream, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>> backwardFloat,
        CpuForward<double> cpuDouble, CpuBackward<double> cpuDoubleBackward, CpuForward<float> cpuFloat, CpuBackward<float> cpuFloatBackward) =>
        new(name, layout, forwardDouble, backwardDouble, forwardFloat, backwardFloat, cpuDouble, cpuDoubleBackward, cpuFloat, cpuFloatBackward);
}

public delegate void CpuForward<T>(ReadOnlySpan<T> x, Span<T> y, int rowLength, ReadOnlySpan<T> parameters);

public delegate void CpuBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int rowLength, ReadOnlySpan<T> parameters, Span<T> parameterGradients);
