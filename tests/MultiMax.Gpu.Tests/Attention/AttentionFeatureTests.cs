using System;
using System.Linq;
using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using MultiMax.Gpu.Tests.Declarations;
using MultiMax.Gpu.Tests.Support;
using MultiMax.Tests.Reference;
using MultiMax.Tests.Support;
using Xunit;
using BuiltIns = global::MultiMax.Normalizers;

namespace MultiMax.Gpu.Tests.Attention;

/// <summary>
/// Grouped-query heads, bottom-right alignment, sliding windows, a bias broadcast every way and sinks through the generated <c>GpuAttentionOptions</c>
/// overloads, on ILGPU's CPU accelerator, against the CPU span operators with the same <see cref="AttentionOptions{T}"/>
/// and, in double, against the materialized reference (<see cref="ReferenceAttention"/>): output, log-sum-exp and every
/// gradient, float and double, with σ from terms, σ written as C#, and plain SoftMax.
/// </summary>
public sealed class AttentionFeatureTests : IDisposable
{
    /// <summary>A shape with its key/value heads, the masks, and whether keys are padded.</summary>
    public sealed record Feature(
        int Batch, int Heads, int KeyValueHeads, int Queries, int Keys, bool Causal, CausalAlignment Alignment, (int Left, int Right)? Window, bool Padded,
        bool Sinks = false, BiasKind Bias = BiasKind.None)
    {
        public AttentionShape Shape => new(Batch, Heads, Queries, Keys, 16) { KeyValueHeads = KeyValueHeads };

        /// <summary>The bias's extents (none: the default).</summary>
        public AttentionBiasShape BiasShape => Bias switch
        {
            BiasKind.None => default,
            BiasKind.SharedByBatch => new(1, Heads, Queries, Keys),
            BiasKind.PerKey => new(Batch, 1, 1, Keys),
            BiasKind.PerQuery => new(1, 1, Queries, 1),
            _ => AttentionBiasShape.Full(Shape),
        };

        public override string ToString() =>
            $"[{Batch}×{Heads}/{KeyValueHeads}, {Queries}q × {Keys}k{(Causal ? ", causal" : "")}, {Alignment}{(Window is { } w ? $", window {w}" : "")}{(Padded ? ", padded" : "")}{(Sinks ? ", sinks" : "")}{(Bias == BiasKind.None ? "" : $", bias {Bias}")}]";
    }

    /// <summary>A bias of every broadcast: the full shape (with −∞ entries), shared by the batch, per key, per query.</summary>
    public enum BiasKind
    {
        None,
        Full,
        SharedByBatch,
        PerKey,
        PerQuery,
    }

    /// <summary>
    /// Counts that cut the CPU accelerator's 8 × 8 tiles unevenly; groups of 2 and 4 query heads; queries both fewer and
    /// more than keys (bottom right, the first queries then see nothing: with sinks their log-sum-exp is the sink).
    /// </summary>
    public static readonly Feature[] Features =
    {
        new(2, 4, 2, 7, 11, false, CausalAlignment.TopLeft, null, false),
        new(1, 4, 1, 9, 9, true, CausalAlignment.TopLeft, null, true),
        new(2, 2, 2, 5, 19, true, CausalAlignment.BottomRight, null, false),
        new(1, 2, 2, 13, 6, true, CausalAlignment.BottomRight, null, false),
        new(1, 2, 1, 1, 23, true, CausalAlignment.BottomRight, null, true),
        new(2, 2, 2, 17, 17, false, CausalAlignment.TopLeft, (2, 1), false),
        new(1, 4, 2, 10, 25, true, CausalAlignment.BottomRight, (6, 0), true),
        new(1, 1, 1, 20, 20, false, CausalAlignment.TopLeft, (0, 0), false),
        new(1, 2, 2, 19, 12, false, CausalAlignment.BottomRight, (3, 9), false),
        new(2, 2, 1, 9, 14, false, CausalAlignment.TopLeft, null, true, Sinks: true),
        new(1, 2, 2, 13, 6, true, CausalAlignment.BottomRight, null, false, Sinks: true),
        new(2, 4, 2, 10, 25, true, CausalAlignment.BottomRight, (6, 0), true, Sinks: true),
        new(2, 2, 2, 11, 13, false, CausalAlignment.TopLeft, null, false, Bias: BiasKind.Full),
        new(2, 2, 1, 9, 18, true, CausalAlignment.TopLeft, null, true, Bias: BiasKind.SharedByBatch),
        new(2, 2, 2, 5, 20, false, CausalAlignment.TopLeft, (4, 2), true, Bias: BiasKind.PerKey),
        new(2, 2, 2, 19, 7, true, CausalAlignment.BottomRight, null, false, Sinks: true, Bias: BiasKind.PerQuery),
    };

    public static TheoryData<int> FeatureIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Features.Length; i++)
        {
            data.Add(i);
        }

        return data;
    }

    private readonly GpuDevice device = TestDevice.Create();

    [Theory]
    [MemberData(nameof(FeatureIndices))]
    public void MultiMax2InDoubleMatchesTheCpuOperators(int index) =>
        Check(Features[index], new ParameterLayout(order: 2), v => v, v => v, 1e-12, referenceTolerance: 1e-10,
            (s, q, k, v, o, l, shape, p, options) => GpuNormalizers.MultiMax2Gpu.Attention(s, q, k, v, o, l, shape, p, options),
            (s, q, k, v, o, l, g, dq, dk, dv, shape, p, dp, options, bg, sg) => GpuNormalizers.MultiMax2Gpu.AttentionBackward(s, q, k, v, o, l, g, dq, dk, dv, shape, p, dp, options, bg, sg),
            (q, k, v, o, l, shape, p, options) => BuiltIns.MultiMax2Attention(q, k, v, o, l, shape, p, options),
            (q, k, v, o, l, g, dq, dk, dv, shape, p, dp, options, bg, sg) => BuiltIns.MultiMax2AttentionBackward(q, k, v, o, l, g, dq, dk, dv, shape, p, dp, options, bg, sg));

    [Theory]
    [MemberData(nameof(FeatureIndices))]
    public void MultiMax2InFloatMatchesTheCpuOperators(int index) =>
        Check(Features[index], new ParameterLayout(order: 2), TestData.ToFloat, TestData.ToDouble, 2e-5, referenceTolerance: null,
            (s, q, k, v, o, l, shape, p, options) => GpuNormalizers.MultiMax2Gpu.Attention(s, q, k, v, o, l, shape, p, options),
            (s, q, k, v, o, l, g, dq, dk, dv, shape, p, dp, options, bg, sg) => GpuNormalizers.MultiMax2Gpu.AttentionBackward(s, q, k, v, o, l, g, dq, dk, dv, shape, p, dp, options, bg, sg),
            (q, k, v, o, l, shape, p, options) => BuiltIns.MultiMax2Attention(q, k, v, o, l, shape, p, options),
            (q, k, v, o, l, g, dq, dk, dv, shape, p, dp, options, bg, sg) => BuiltIns.MultiMax2AttentionBackward(q, k, v, o, l, g, dq, dk, dv, shape, p, dp, options, bg, sg));

    [Theory]
    [MemberData(nameof(FeatureIndices))]
    public void SoftMaxInDoubleMatchesTheCpuOperators(int index) =>
        Check(Features[index], new ParameterLayout(), v => v, v => v, 1e-12, referenceTolerance: 1e-10,
            (s, q, k, v, o, l, shape, _, options) => GpuNormalizers.SoftMaxGpu.Attention(s, q, k, v, o, l, shape, options),
            (s, q, k, v, o, l, g, dq, dk, dv, shape, _, _, options, bg, sg) => GpuNormalizers.SoftMaxGpu.AttentionBackward(s, q, k, v, o, l, g, dq, dk, dv, shape, options, bg, sg),
            (q, k, v, o, l, shape, _, options) => BuiltIns.SoftMaxAttention(q, k, v, o, l, shape, options),
            (q, k, v, o, l, g, dq, dk, dv, shape, _, _, options, bg, sg) => BuiltIns.SoftMaxAttentionBackward(q, k, v, o, l, g, dq, dk, dv, shape, options, bg, sg));

    [Theory]
    [MemberData(nameof(FeatureIndices))]
    public void AModulatorWrittenAsCSharpInFloatMatchesTheCpuOperators(int index) =>
        Check(Features[index], ParameterLayout.Of(ExpressionModulators.SoftCap), TestData.ToFloat, TestData.ToDouble, 2e-5, referenceTolerance: null,
            Ops.CappedGpu.Attention, Ops.CappedGpu.AttentionBackward,
            (q, k, v, o, l, shape, p, options) => Ops.CappedAttention(q, k, v, o, l, shape, p, options),
            (q, k, v, o, l, g, dq, dk, dv, shape, p, dp, options, bg, sg) => Ops.CappedAttentionBackward(q, k, v, o, l, g, dq, dk, dv, shape, p, dp, options, bg, sg));

    /// <summary>With grouped heads dK and dV add up over each group's query heads in a fixed order: the same bits on every run.</summary>
    [Fact]
    public void GroupedGradientsAreTheSameBitsOnEveryRun()
    {
        Feature feature = Features[6];
        var layout = new ParameterLayout(order: 2);
        Inputs<float> inputs = Inputs<float>.Draw(layout, feature, TestData.ToFloat);
        Results<float> first = RunGpu(feature, inputs, MultiMax2Float.Forward, MultiMax2Float.Backward);
        Results<float> again = RunGpu(feature, inputs, MultiMax2Float.Forward, MultiMax2Float.Backward);
        Assert.Equal(first.KeyGradient.Select(BitConverter.SingleToInt32Bits), again.KeyGradient.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(first.ValueGradient.Select(BitConverter.SingleToInt32Bits), again.ValueGradient.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(first.ParameterGradients.Select(BitConverter.SingleToInt32Bits), again.ParameterGradients.Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>A NaN sink makes its head's rows NaN and leaves the other heads alone, as on the CPU.</summary>
    [Fact]
    public void ANaNSinkGivesTheSameResultsAsTheCpuOperators()
    {
        Feature feature = Features.First(f => f.Sinks && f.Window is not null);
        var layout = new ParameterLayout(order: 2);
        Inputs<double> inputs = Inputs<double>.Draw(layout, feature, v => v);
        inputs.Sinks![1] = double.NaN;
        Results<double> gpu = RunGpu<double>(feature, inputs,
            (s, q, k, v, o, l, shape, p, options) => GpuNormalizers.MultiMax2Gpu.Attention(s, q, k, v, o, l, shape, p, options),
            (s, q, k, v, o, l, g, dq, dk, dv, shape, p, dp, options, bg, sg) => GpuNormalizers.MultiMax2Gpu.AttentionBackward(s, q, k, v, o, l, g, dq, dk, dv, shape, p, dp, options, bg, sg));
        Results<double> cpu = RunCpu<double>(feature, inputs,
            (q, k, v, o, l, shape, p, options) => BuiltIns.MultiMax2Attention(q, k, v, o, l, shape, p, options),
            (q, k, v, o, l, g, dq, dk, dv, shape, p, dp, options, bg, sg) => BuiltIns.MultiMax2AttentionBackward(q, k, v, o, l, g, dq, dk, dv, shape, p, dp, options, bg, sg));
        Assert.Contains(gpu.LogSumExp, double.IsNaN);
        Assert.Contains(gpu.LogSumExp, double.IsFinite);
        Compare(cpu, gpu, 1e-12, "a NaN sink, GPU vs CPU");
    }

    /// <summary>
    /// A window with a negative side, an alignment outside the enum, key/value heads that do not divide the heads, sinks
    /// that are not one per head or that share memory with an output, a bias whose shape does not broadcast or whose
    /// length is not its shape's: refused on the host, naming the argument.
    /// </summary>
    [Fact]
    public void BadOptionsAreRefusedBeforeAnythingIsWritten()
    {
        var shape = new AttentionShape(1, 2, 3, 4, 16);
        using var query = device.Accelerator.Allocate1D<float>(shape.QueryLength);
        using var key = device.Accelerator.Allocate1D<float>(shape.KeyLength);
        using var output = device.Accelerator.Allocate1D(Enumerable.Repeat(7f, (int)shape.QueryLength).ToArray());
        using var logSumExp = device.Accelerator.Allocate1D<float>(shape.LogSumExpLength);
        void Run(GpuAttentionOptions<float> options) =>
            GpuNormalizers.SoftMaxGpu.Attention(device.Stream, query.View, key.View, key.View, output.View, logSumExp.View, shape, options);

        var window = Assert.Throws<ArgumentOutOfRangeException>(() => Run(new GpuAttentionOptions<float> { Window = (-1, 2) }));
        Assert.Equal("options.Window", window.ParamName);
        var alignment = Assert.Throws<ArgumentOutOfRangeException>(() => Run(new GpuAttentionOptions<float> { Causal = true, Alignment = (CausalAlignment)7 }));
        Assert.Equal("options.Alignment", alignment.ParamName);
        var heads = Assert.Throws<ArgumentOutOfRangeException>(() => GpuNormalizers.SoftMaxGpu.Attention(
            device.Stream, query.View, key.View, key.View, output.View, logSumExp.View, shape with { KeyValueHeads = 3 }, new GpuAttentionOptions<float>()));
        Assert.Equal("shape", heads.ParamName);
        using var sinks = device.Accelerator.Allocate1D<float>(3);
        var sinkCount = Assert.Throws<ArgumentException>(() => Run(new GpuAttentionOptions<float> { Sinks = sinks.View }));
        Assert.Equal("options.Sinks", sinkCount.ParamName);
        var sinkOverlap = Assert.Throws<ArgumentException>(() => Run(new GpuAttentionOptions<float> { Sinks = output.View.SubView(0, 2) }));
        Assert.Equal("output", sinkOverlap.ParamName);
        using var bias = device.Accelerator.Allocate1D<float>(12);
        var biasShape = Assert.Throws<ArgumentException>(() => Run(new GpuAttentionOptions<float> { Bias = bias.View, BiasShape = new(1, 2, 2, 3) }));
        Assert.Equal("options.BiasShape", biasShape.ParamName);
        var biasLength = Assert.Throws<ArgumentException>(() => Run(new GpuAttentionOptions<float> { Bias = bias.View.SubView(0, 5), BiasShape = new(1, 1, 3, 4) }));
        Assert.Equal("options.Bias", biasLength.ParamName);
        Assert.All(output.GetAsArray1D(), value => Assert.Equal(7f, value));
    }

    /// <summary>The backward refuses a sink or bias gradient without sinks or a bias, or one that shares memory with them, before writing anything.</summary>
    [Fact]
    public void BadSinkGradientsAreRefusedBeforeAnythingIsWritten()
    {
        var shape = new AttentionShape(1, 2, 3, 4, 16);
        Accelerator accelerator = device.Accelerator;
        using var query = accelerator.Allocate1D<float>(shape.QueryLength);
        using var key = accelerator.Allocate1D<float>(shape.KeyLength);
        using var output = accelerator.Allocate1D<float>(shape.QueryLength);
        using var logSumExp = accelerator.Allocate1D<float>(shape.LogSumExpLength);
        using var queryGradient = accelerator.Allocate1D(Enumerable.Repeat(7f, (int)shape.QueryLength).ToArray());
        using var keyGradient = accelerator.Allocate1D<float>(shape.KeyLength);
        using var valueGradient = accelerator.Allocate1D<float>(shape.KeyLength);
        using var sinks = accelerator.Allocate1D<float>(4);
        void Run(GpuAttentionOptions<float> options, ArrayView<float> sinkGradient) => GpuNormalizers.SoftMaxGpu.AttentionBackward(
            device.Stream, query.View, key.View, key.View, output.View, logSumExp.View, output.View, queryGradient.View, keyGradient.View, valueGradient.View,
            shape, options, default, sinkGradient);

        var without = Assert.Throws<ArgumentException>(() => Run(new GpuAttentionOptions<float>(), sinks.View.SubView(0, 2)));
        Assert.Equal("sinkGradient", without.ParamName);
        var biasWithout = Assert.Throws<ArgumentException>(() => GpuNormalizers.SoftMaxGpu.AttentionBackward(
            device.Stream, query.View, key.View, key.View, output.View, logSumExp.View, output.View, queryGradient.View, keyGradient.View, valueGradient.View,
            shape, new GpuAttentionOptions<float>(), sinks.View, default));
        Assert.Equal("biasGradient", biasWithout.ParamName);
        var shared = Assert.Throws<ArgumentException>(() => Run(new GpuAttentionOptions<float> { Sinks = sinks.View.SubView(0, 2) }, sinks.View.SubView(1, 2)));
        Assert.Equal("sinkGradient", shared.ParamName);
        Assert.All(queryGradient.GetAsArray1D(), value => Assert.Equal(7f, value));
    }

    /// <summary>With no query at all no score reaches a sink: its gradient is 0 (not left as it was).</summary>
    [Fact]
    public void WithNoQueryTheSinkGradientsAreZero()
    {
        var shape = new AttentionShape(2, 2, 0, 5, 16);
        Accelerator accelerator = device.Accelerator;
        using var buffer = accelerator.Allocate1D<double>(shape.KeyLength);
        using var keyGradient = accelerator.Allocate1D<double>(shape.KeyLength);
        using var valueGradient = accelerator.Allocate1D<double>(shape.KeyLength);
        using var sinks = accelerator.Allocate1D(new[] { 0.5, -1.0 });
        using var sinkGradient = accelerator.Allocate1D(new[] { 7.0, 7.0 });
        ArrayView<double> none = buffer.View.SubView(0, 0);
        GpuNormalizers.SoftMaxGpu.AttentionBackward(device.Stream, none, buffer.View, buffer.View, none, none, none, none, keyGradient.View, valueGradient.View,
            shape, new GpuAttentionOptions<double> { Sinks = sinks.View }, default, sinkGradient.View);
        Assert.Equal(new[] { 0.0, 0.0 }, sinkGradient.GetAsArray1D());
    }

    /// <summary>A window wider than any sequence, at the extremes of int, keeps every key: the same bits as no window.</summary>
    [Fact]
    public void AWindowAsWideAsIntAllowsKeepsEveryKey()
    {
        Feature unbounded = Features[2] with { Window = null }, widest = Features[2] with { Window = (int.MaxValue, int.MaxValue) };
        var layout = new ParameterLayout(order: 2);
        Inputs<float> inputs = Inputs<float>.Draw(layout, unbounded, TestData.ToFloat);
        Results<float> plain = RunGpu(unbounded, inputs, MultiMax2Float.Forward, MultiMax2Float.Backward);
        Results<float> wide = RunGpu(widest, inputs, MultiMax2Float.Forward, MultiMax2Float.Backward);
        Assert.Equal(plain.Output.Select(BitConverter.SingleToInt32Bits), wide.Output.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(plain.KeyGradient.Select(BitConverter.SingleToInt32Bits), wide.KeyGradient.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(plain.QueryGradient.Select(BitConverter.SingleToInt32Bits), wide.QueryGradient.Select(BitConverter.SingleToInt32Bits));
    }

    public void Dispose() => device.Dispose();

    private delegate void GpuForward<T>(
        AcceleratorStream stream, ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> output, ArrayView<T> logSumExp,
        AttentionShape shape, ArrayView<T> parameters, GpuAttentionOptions<T> options)
        where T : unmanaged, IFloatingPointIeee754<T>;

    private delegate void GpuBackward<T>(
        AcceleratorStream stream, ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> output, ArrayView<T> logSumExp,
        ArrayView<T> outputGradient, ArrayView<T> queryGradient, ArrayView<T> keyGradient, ArrayView<T> valueGradient,
        AttentionShape shape, ArrayView<T> parameters, ArrayView<T> parameterGradients, GpuAttentionOptions<T> options, ArrayView<T> biasGradient, ArrayView<T> sinkGradient)
        where T : unmanaged, IFloatingPointIeee754<T>;

    private delegate void CpuForward<T>(
        ReadOnlySpan<T> query, ReadOnlySpan<T> key, ReadOnlySpan<T> value, Span<T> output, Span<T> logSumExp,
        AttentionShape shape, ReadOnlySpan<T> parameters, AttentionOptions<T> options)
        where T : unmanaged, IFloatingPointIeee754<T>;

    private delegate void CpuBackward<T>(
        ReadOnlySpan<T> query, ReadOnlySpan<T> key, ReadOnlySpan<T> value, ReadOnlySpan<T> output, ReadOnlySpan<T> logSumExp,
        ReadOnlySpan<T> outputGradient, Span<T> queryGradient, Span<T> keyGradient, Span<T> valueGradient,
        AttentionShape shape, ReadOnlySpan<T> parameters, Span<T> parameterGradients, AttentionOptions<T> options, Span<T> biasGradient, Span<T> sinkGradient)
        where T : unmanaged, IFloatingPointIeee754<T>;

    private static class MultiMax2Float
    {
        public static readonly GpuForward<float> Forward = (s, q, k, v, o, l, shape, p, options) => GpuNormalizers.MultiMax2Gpu.Attention(s, q, k, v, o, l, shape, p, options);

        public static readonly GpuBackward<float> Backward = (s, q, k, v, o, l, g, dq, dk, dv, shape, p, dp, options, bg, sg) =>
            GpuNormalizers.MultiMax2Gpu.AttentionBackward(s, q, k, v, o, l, g, dq, dk, dv, shape, p, dp, options, bg, sg);
    }

    private void Check<T>(
        Feature feature, ParameterLayout layout, Func<double[], T[]> convert, Func<T[], double[]> back, double tolerance, double? referenceTolerance,
        GpuForward<T> gpuForward, GpuBackward<T> gpuBackward, CpuForward<T> cpuForward, CpuBackward<T> cpuBackward)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Inputs<T> inputs = Inputs<T>.Draw(layout, feature, convert);
        Results<T> gpu = RunGpu(feature, inputs, gpuForward, gpuBackward);
        Results<T> cpu = RunCpu(feature, inputs, cpuForward, cpuBackward);
        string what = $"{typeof(T).Name} {feature}";
        Compare(cpu.AsDouble(back), gpu.AsDouble(back), tolerance, what + " vs CPU");
        if (referenceTolerance is { } referenceClose)
        {
            double[]? sinks = inputs.Sinks is null ? null : back(inputs.Sinks);
            double[]? biasValues = inputs.Bias is null ? null : back(inputs.Bias);
            var options = new ReferenceAttentionOptions(inputs.Padding, feature.Causal, feature.Alignment, feature.Window, biasValues, feature.BiasShape, sinks);
            var reference = new ReferenceAttention(layout.Bind(back(inputs.Parameters)), feature.Shape, options, feature.Shape.DefaultScale);
            double[] q = back(inputs.Query), k = back(inputs.Key), v = back(inputs.Value);
            (double[] output, double[] logSumExp) = reference.Forward(q, k, v);
            (double[] dq, double[] dk, double[] dv, double[] dp, double[] db, double[] dc) = reference.Backward(q, k, v, back(inputs.OutputGradient), layout);
            Compare(new Results<double>(output, logSumExp, dq, dk, dv, dp, dc, db), gpu.AsDouble(back), referenceClose, what + " vs reference");
        }
    }

    private static void Compare(Results<double> expected, Results<double> actual, double tolerance, string what)
    {
        Close.All(expected.Output, actual.Output, tolerance, tolerance * 10, what + ": output");
        Close.All(expected.LogSumExp, actual.LogSumExp, tolerance, tolerance * 10, what + ": logSumExp");
        Close.All(expected.QueryGradient, actual.QueryGradient, tolerance * 5, tolerance * 50, what + ": dQuery");
        Close.All(expected.KeyGradient, actual.KeyGradient, tolerance * 5, tolerance * 50, what + ": dKey");
        Close.All(expected.ValueGradient, actual.ValueGradient, tolerance * 5, tolerance * 50, what + ": dValue");
        double scale = 1 + expected.ParameterGradients.Select(Math.Abs).DefaultIfEmpty(0).Max();
        Close.All(expected.ParameterGradients, actual.ParameterGradients, tolerance * 20 * scale, tolerance * 50, what + ": parameter gradients");
        Close.All(expected.SinkGradient, actual.SinkGradient, tolerance * 20, tolerance * 50, what + ": sink gradients");
        Close.All(expected.BiasGradient, actual.BiasGradient, tolerance * 20, tolerance * 50, what + ": bias gradient");
    }

    private Results<T> RunGpu<T>(Feature feature, Inputs<T> inputs, GpuForward<T> forward, GpuBackward<T> backward)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Accelerator accelerator = device.Accelerator;
        AttentionShape shape = feature.Shape;
        MemoryBuffer1D<T, Stride1D.Dense> Upload(T[] data)
        {
            MemoryBuffer1D<T, Stride1D.Dense> buffer = accelerator.Allocate1D<T>(Math.Max(1, data.Length));
            buffer.View.SubView(0, data.Length).CopyFromCPU(data);
            return buffer;
        }

        using var query = Upload(inputs.Query);
        using var key = Upload(inputs.Key);
        using var value = Upload(inputs.Value);
        using var outputGradient = Upload(inputs.OutputGradient);
        using var parameters = Upload(inputs.Parameters);
        using var output = Upload(new T[shape.QueryLength]);
        using var logSumExp = Upload(new T[shape.LogSumExpLength]);
        using var queryGradient = Upload(new T[shape.QueryLength]);
        using var keyGradient = Upload(new T[shape.KeyLength]);
        using var valueGradient = Upload(new T[shape.KeyLength]);
        using var parameterGradients = Upload(new T[inputs.Parameters.Length]);
        int sinkCount = inputs.Sinks?.Length ?? 0, biasCount = inputs.Bias?.Length ?? 0;
        using var sinks = Upload(inputs.Sinks ?? []);
        using var sinkGradient = Upload(new T[sinkCount]);
        using var bias = Upload(inputs.Bias ?? []);
        using var biasGradient = Upload(new T[biasCount]);
        using var mask = accelerator.Allocate1D<byte>(Math.Max(1, inputs.Padding?.Length ?? 0));
        ArrayView<byte> maskView = default;
        if (inputs.Padding is { Length: > 0 } padding)
        {
            maskView = mask.View.SubView(0, padding.Length);
            maskView.CopyFromCPU(padding.Select(padded => padded ? (byte)1 : (byte)0).ToArray());
        }

        ArrayView<T> View(MemoryBuffer1D<T, Stride1D.Dense> buffer, long length) => buffer.View.SubView(0, length);
        var options = new GpuAttentionOptions<T>
        {
            KeyPaddingMask = maskView, Causal = feature.Causal, Alignment = feature.Alignment, Window = feature.Window, Sinks = View(sinks, sinkCount),
            Bias = View(bias, biasCount), BiasShape = feature.BiasShape,
        };
        forward(device.Stream, View(query, shape.QueryLength), View(key, shape.KeyLength), View(value, shape.KeyLength),
            View(output, shape.QueryLength), View(logSumExp, shape.LogSumExpLength), shape, View(parameters, inputs.Parameters.Length), options);
        backward(device.Stream, View(query, shape.QueryLength), View(key, shape.KeyLength), View(value, shape.KeyLength),
            View(output, shape.QueryLength), View(logSumExp, shape.LogSumExpLength), View(outputGradient, shape.QueryLength),
            View(queryGradient, shape.QueryLength), View(keyGradient, shape.KeyLength), View(valueGradient, shape.KeyLength), shape,
            View(parameters, inputs.Parameters.Length), View(parameterGradients, inputs.Parameters.Length), options, View(biasGradient, biasCount), View(sinkGradient, sinkCount));
        device.Stream.Synchronize();

        T[] Download(MemoryBuffer1D<T, Stride1D.Dense> buffer, long length)
        {
            var data = new T[length];
            View(buffer, length).CopyToCPU(data);
            return data;
        }

        return new Results<T>(
            Download(output, shape.QueryLength), Download(logSumExp, shape.LogSumExpLength), Download(queryGradient, shape.QueryLength),
            Download(keyGradient, shape.KeyLength), Download(valueGradient, shape.KeyLength), Download(parameterGradients, inputs.Parameters.Length),
            Download(sinkGradient, sinkCount), Download(biasGradient, biasCount));
    }

    private static Results<T> RunCpu<T>(Feature feature, Inputs<T> inputs, CpuForward<T> forward, CpuBackward<T> backward)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        AttentionShape shape = feature.Shape;
        var results = new Results<T>(
            new T[shape.QueryLength], new T[shape.LogSumExpLength], new T[shape.QueryLength], new T[shape.KeyLength], new T[shape.KeyLength],
            new T[inputs.Parameters.Length], new T[inputs.Sinks?.Length ?? 0], new T[inputs.Bias?.Length ?? 0]);
        var options = new AttentionOptions<T>
        {
            KeyPaddingMask = inputs.Padding, Causal = feature.Causal, Alignment = feature.Alignment, Window = feature.Window, Sinks = inputs.Sinks,
            Bias = inputs.Bias, BiasShape = feature.BiasShape,
        };
        forward(inputs.Query, inputs.Key, inputs.Value, results.Output, results.LogSumExp, shape, inputs.Parameters, options);
        backward(inputs.Query, inputs.Key, inputs.Value, results.Output, results.LogSumExp, inputs.OutputGradient,
            results.QueryGradient, results.KeyGradient, results.ValueGradient, shape, inputs.Parameters, results.ParameterGradients, options, results.BiasGradient,
            results.SinkGradient);
        return results;
    }

    private sealed record Inputs<T>(T[] Query, T[] Key, T[] Value, T[] OutputGradient, T[] Parameters, bool[]? Padding, T[]? Sinks, T[]? Bias)
    {
        public static Inputs<T> Draw(ParameterLayout layout, Feature feature, Func<double[], T[]> convert)
        {
            var random = new Random(StableSeed.Of(feature.ToString()));
            AttentionShape shape = feature.Shape;
            bool[]? padding = feature.Padded ? Enumerable.Range(0, (int)shape.MaskLength).Select(_ => random.Next(4) == 0).ToArray() : null;
            return new Inputs<T>(
                convert(TestData.Normal(random, (int)shape.QueryLength, 1)), convert(TestData.Normal(random, (int)shape.KeyLength, 1)),
                convert(TestData.Normal(random, (int)shape.KeyLength, 1)), convert(TestData.Normal(random, (int)shape.QueryLength, 1)),
                convert(TestData.Parameters(random, layout)), padding, feature.Sinks ? convert(TestData.Normal(random, feature.Heads, 1)) : null,
                feature.Bias == BiasKind.None ? null : convert(DrawBias(random, feature)));
        }
    }

    /// <summary>A bias in the feature's shape; the full one gets −∞ entries (masked scores), one row entirely.</summary>
    private static double[] DrawBias(Random random, Feature feature)
    {
        double[] bias = TestData.Normal(random, (int)feature.BiasShape.Length, 1);
        if (feature.Bias == BiasKind.Full)
        {
            for (int i = 0; i < bias.Length; i += 5)
            {
                bias[i] = double.NegativeInfinity;
            }

            bias.AsSpan(0, feature.Keys).Fill(double.NegativeInfinity);
        }

        return bias;
    }

    private sealed record Results<T>(
        T[] Output, T[] LogSumExp, T[] QueryGradient, T[] KeyGradient, T[] ValueGradient, T[] ParameterGradients, T[] SinkGradient, T[] BiasGradient)
    {
        public Results<double> AsDouble(Func<T[], double[]> back) =>
            new(back(Output), back(LogSumExp), back(QueryGradient), back(KeyGradient), back(ValueGradient), back(ParameterGradients), back(SinkGradient),
                back(BiasGradient));
    }
}
