using System;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using MultiMax.Gpu.Tests.Support;
using MultiMax.Tests.Reference;
using MultiMax.Tests.Support;
using Xunit;

namespace MultiMax.Gpu.Tests.Attention;

/// <summary>
/// The generated GPU attention kernels (forward, key pass, query pass) on ILGPU's CPU accelerator, against the CPU
/// span operators and against <see cref="ReferenceAttention"/> (every score row materialized, in double): output,
/// log-sum-exp and every gradient, with every mask, over shapes that cut the accelerator's tiles (8 × 8 there) unevenly.
/// With <c>MULTIMAX_GPU_TESTS=cuda</c> they run on a CUDA device, with larger shapes besides.
/// </summary>
public sealed class FusedAttentionTests : IDisposable
{
    /// <summary>
    /// One query; counts that are not multiples of the tile; queries ≠ keys; no key, or no query, at all; no batch; head
    /// sizes 0 (every score an empty dot product) and 16 to 64.
    /// </summary>
    public static readonly AttentionCase[] Cases =
    {
        new(1, 1, 1, 1, 16, false, KeyPadding.None),
        new(2, 2, 19, 13, 16, false, KeyPadding.SomeKeys),
        new(1, 2, 12, 21, 20, true, KeyPadding.None),
        new(2, 1, 17, 17, 16, true, KeyPadding.SomeKeys),
        new(2, 2, 5, 9, 16, false, KeyPadding.LastSequence),
        new(1, 1, 3, 0, 16, false, KeyPadding.None),
        new(1, 1, 0, 5, 16, false, KeyPadding.None),
        new(1, 1, 9, 10, 64, true, KeyPadding.None),
        new(0, 2, 5, 7, 16, false, KeyPadding.SomeKeys),
        new(2, 2, 5, 7, 0, true, KeyPadding.SomeKeys),
    };

    /// <summary>On a real GPU, where tiles hold up to 64 queries and keys: several tiles per head, head sizes up to 256.</summary>
    public static readonly AttentionCase[] GpuCases =
    {
        new(2, 4, 300, 257, 64, true, KeyPadding.SomeKeys),
        new(1, 2, 129, 200, 128, false, KeyPadding.LastSequence),
        new(1, 1, 77, 100, 256, true, KeyPadding.None),
        new(1, 1, 200, 150, 16, false, KeyPadding.None),
    };

    private readonly GpuDevice device = TestDevice.Create();

    [Theory]
    [MemberData(nameof(GpuAttentionCatalog.DoubleNames), MemberType = typeof(GpuAttentionCatalog))]
    public void DoubleMatchesTheCpuOperatorsAndTheReference(string name)
    {
        GpuAttentionCase<double> op = GpuAttentionCatalog.Double().Single(c => c.Name == name);
        foreach (AttentionCase c in device.IsGpu ? Cases.Concat(GpuCases) : Cases)
        {
            Check(op, c, v => v, v => v, cpuTolerance: 1e-12, referenceTolerance: 1e-10);
        }
    }

    [Theory]
    [MemberData(nameof(GpuAttentionCatalog.FloatNames), MemberType = typeof(GpuAttentionCatalog))]
    public void FloatMatchesTheCpuOperatorsAndTheReference(string name)
    {
        GpuAttentionCase<float> op = GpuAttentionCatalog.Float().Single(c => c.Name == name);
        foreach (AttentionCase c in device.IsGpu ? Cases.Concat(GpuCases) : Cases)
        {
            Check(op, c, TestData.ToFloat, TestData.ToDouble, cpuTolerance: 2e-5, referenceTolerance: 2e-4);
        }
    }

    [Fact]
    public void GradientsAreTheSameBitsOnEveryRun()
    {
        GpuAttentionCase<float> op = GpuAttentionCatalog.Float().Single(c => c.Name == "MultiMax2");
        var c = new AttentionCase(2, 2, 23, 29, 16, false, KeyPadding.SomeKeys);
        Inputs<float> inputs = Inputs<float>.Draw(op.Layout, c, TestData.ToFloat, TestData.ToDouble);
        Results<float> first = RunGpu(op, c, inputs, scale: null);
        for (int run = 0; run < 2; run++)
        {
            Results<float> again = RunGpu(op, c, inputs, scale: null);
            Assert.Equal(first.ParameterGradients.Select(BitConverter.SingleToInt32Bits), again.ParameterGradients.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(first.QueryGradient.Select(BitConverter.SingleToInt32Bits), again.QueryGradient.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(first.KeyGradient.Select(BitConverter.SingleToInt32Bits), again.KeyGradient.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(first.ValueGradient.Select(BitConverter.SingleToInt32Bits), again.ValueGradient.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void AGivenScaleIsUsed()
    {
        GpuAttentionCase<double> op = GpuAttentionCatalog.Double().Single(c => c.Name == "MultiMax2");
        var c = new AttentionCase(1, 1, 6, 11, 16, false, KeyPadding.None);
        Inputs<double> inputs = Inputs<double>.Draw(op.Layout, c, v => v, v => v);
        Results<double> gpu = RunGpu(op, c, inputs, scale: 0.7);
        var reference = new ReferenceAttention(op.Layout.Bind(inputs.Parameters), c.Shape, inputs.Padding, c.Causal, 0.7);
        Close.All(reference.Forward(inputs.Query, inputs.Key, inputs.Value).Output, gpu.Output, 1e-10, 1e-9, "output at scale 0.7");
    }

    [Fact]
    public void ANaNParameterMakesEveryQueryWithAVisibleKeyAndEveryParameterGradientNaN()
    {
        GpuAttentionCase<float> op = GpuAttentionCatalog.Float().Single(c => c.Name == "MultiMax2");
        var c = new AttentionCase(2, 1, 3, 4, 16, false, KeyPadding.LastSequence);
        Inputs<float> inputs = Inputs<float>.Draw(op.Layout, c, TestData.ToFloat, TestData.ToDouble);
        inputs.Parameters[5] = float.NaN; // a threshold: the relu alone would hide it
        Results<float> gpu = RunGpu(op, c, inputs, scale: null);

        Assert.All(gpu.Output.AsSpan(0, 3 * 16).ToArray(), value => Assert.True(float.IsNaN(value)));
        Assert.All(gpu.Output.AsSpan(3 * 16).ToArray(), value => Assert.Equal(0f, value)); // the padded sequence sees nothing
        Assert.All(gpu.ParameterGradients, value => Assert.True(float.IsNaN(value)));
    }

    /// <summary>
    /// A NaN coefficient (σ′ is NaN everywhere, the stand-in of a masked score included) with padding and a causal mask
    /// that cut tiles: every gradient NaN where a visible pair reaches it and 0 where none does, on both backends alike.
    /// </summary>
    [Fact]
    public void ANaNParameterGivesTheSameGradientsAsTheCpuOperators()
    {
        GpuAttentionCase<double> op = GpuAttentionCatalog.Double().Single(c => c.Name == "MultiMax2");
        var c = new AttentionCase(2, 1, 13, 17, 16, true, KeyPadding.SomeKeys);
        Inputs<double> inputs = Inputs<double>.Draw(op.Layout, c, v => v, v => v);
        inputs.Parameters[0] = double.NaN;
        Results<double> gpu = RunGpu(op, c, inputs, scale: null);
        Results<double> cpu = RunCpu(op, c, inputs);

        Compare(cpu, gpu, 1e-12, "NaN coefficient, GPU vs CPU");
        Assert.Contains(gpu.KeyGradient, value => value == 0); // padding keys: no visible pair reaches them
        Assert.Contains(gpu.KeyGradient, double.IsNaN);
    }

    /// <summary>
    /// q·k that overflows float to −∞ (component 0 is zero but for a 1e20 query against a −1e20 key it sees) is masked
    /// before σ, as on the CPU: finite outputs and gradients, the CPU operators' values.
    /// </summary>
    [Fact]
    public void AScoreThatOverflowsToMinusInfinityIsMaskedAsOnTheCpu()
    {
        GpuAttentionCase<float> op = GpuAttentionCatalog.Float().Single(c => c.Name == "MultiMax2");
        var c = new AttentionCase(2, 1, 13, 17, 16, true, KeyPadding.None);
        Inputs<float> inputs = Inputs<float>.Draw(op.Layout, c, TestData.ToFloat, TestData.ToDouble);
        AttentionShape shape = c.Shape;
        for (int i = 0; i < inputs.Query.Length; i += shape.HeadSize) inputs.Query[i] = 0;
        for (int j = 0; j < inputs.Key.Length; j += shape.HeadSize) inputs.Key[j] = 0;
        for (int head = 0; head < shape.HeadCount; head++)
        {
            inputs.Query[(head * shape.Queries + 10) * shape.HeadSize] = 1e20f;
            inputs.Key[(head * shape.Keys + 9) * shape.HeadSize] = -1e20f;
        }

        Results<double> gpu = RunGpu(op, c, inputs, scale: null).AsDouble(TestData.ToDouble);
        Results<double> cpu = RunCpu(op, c, inputs).AsDouble(TestData.ToDouble);
        Assert.All(gpu.Output.Concat(gpu.QueryGradient).Concat(gpu.KeyGradient).Concat(gpu.ValueGradient).Concat(gpu.ParameterGradients),
            value => Assert.True(double.IsFinite(value)));
        Compare(cpu, gpu, 2e-5, "overflowing score, GPU vs CPU");
    }

    /// <summary>A padding key is never read: NaN and ∞ in its key and value rows reach nothing, on either backend.</summary>
    [Fact]
    public void PaddingRowsAreNeverReadAsOnTheCpu()
    {
        GpuAttentionCase<double> op = GpuAttentionCatalog.Double().Single(c => c.Name == "MultiMax2");
        var c = new AttentionCase(2, 2, 11, 21, 16, false, KeyPadding.SomeKeys);
        Inputs<double> clean = Inputs<double>.Draw(op.Layout, c, v => v, v => v);
        Inputs<double> poisoned = clean with { Key = (double[])clean.Key.Clone(), Value = (double[])clean.Value.Clone() };
        AttentionShape shape = c.Shape;
        for (int head = 0; head < shape.HeadCount; head++)
        {
            for (int j = 0; j < shape.Keys; j++)
            {
                if (clean.Padding![head / shape.Heads * shape.Keys + j])
                {
                    clean.Key.AsSpan((head * shape.Keys + j) * shape.HeadSize, shape.HeadSize).Clear();
                    clean.Value.AsSpan((head * shape.Keys + j) * shape.HeadSize, shape.HeadSize).Clear();
                    poisoned.Key.AsSpan((head * shape.Keys + j) * shape.HeadSize, shape.HeadSize).Fill(double.NaN);
                    poisoned.Value.AsSpan((head * shape.Keys + j) * shape.HeadSize, shape.HeadSize).Fill(double.PositiveInfinity);
                }
            }
        }

        Results<double> gpu = RunGpu(op, c, poisoned, scale: null);
        Assert.All(gpu.Output.Concat(gpu.QueryGradient).Concat(gpu.KeyGradient).Concat(gpu.ValueGradient).Concat(gpu.ParameterGradients),
            value => Assert.True(double.IsFinite(value)));
        Compare(RunCpu(op, c, clean), gpu, 1e-12, "NaN padding rows on the GPU vs clean ones on the CPU");
    }

    /// <summary>A head size past the kernels' limit is refused on the host, naming the shape and the limit, as on the CPU.</summary>
    [Fact]
    public void AHeadSizeBeyondTheLimitIsRefused()
    {
        using var buffer = device.Accelerator.Allocate1D<float>(4);
        var shape = new AttentionShape(1, 1, 1, 1, AttentionShape.MaxHeadSize + 1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            GpuNormalizers.SoftMaxGpu.Attention(device.Stream, buffer.View, buffer.View, buffer.View, buffer.View, buffer.View, shape));
        Assert.Equal("shape", e.ParamName);
        Assert.Contains("AttentionShape.MaxHeadSize", e.Message);
    }

    [Fact]
    public void BadArgumentsThrowBeforeAnythingIsWritten()
    {
        Accelerator accelerator = device.Accelerator;
        var shape = new AttentionShape(1, 2, 3, 4, 16);
        using var query = accelerator.Allocate1D<float>(shape.QueryLength);
        using var key = accelerator.Allocate1D<float>(shape.KeyLength);
        using var output = accelerator.Allocate1D(Enumerable.Repeat(7f, (int)shape.QueryLength).ToArray());
        using var logSumExp = accelerator.Allocate1D<float>(shape.LogSumExpLength);
        using var parameters = accelerator.Allocate1D<float>(8);
        using var mask = accelerator.Allocate1D<byte>(3);

        var wrongValue = Assert.Throws<ArgumentException>(() =>
            GpuNormalizers.MultiMax2Gpu.Attention(device.Stream, query.View, key.View, key.View.SubView(0, 10), output.View, logSumExp.View, shape, parameters.View));
        Assert.Equal("value", wrongValue.ParamName);
        var wrongMask = Assert.Throws<ArgumentException>(() =>
            GpuNormalizers.MultiMax2Gpu.Attention(device.Stream, query.View, key.View, key.View, output.View, logSumExp.View, shape, parameters.View, mask.View));
        Assert.Equal("keyPaddingMask", wrongMask.ParamName);
        var wrongParameters = Assert.Throws<ArgumentException>(() =>
            GpuNormalizers.MultiMax2Gpu.Attention(device.Stream, query.View, key.View, key.View, output.View, logSumExp.View, shape, parameters.View.SubView(0, 7)));
        Assert.Equal("parameters", wrongParameters.ParamName);
        var overlapping = Assert.Throws<ArgumentException>(() =>
            GpuNormalizers.MultiMax2Gpu.Attention(device.Stream, query.View, key.View, key.View, query.View, logSumExp.View, shape, parameters.View));
        Assert.Equal("output", overlapping.ParamName);
        var badScale = Assert.Throws<ArgumentOutOfRangeException>(() =>
            GpuNormalizers.MultiMax2Gpu.Attention(device.Stream, query.View, key.View, key.View, output.View, logSumExp.View, shape, parameters.View, scale: float.NaN));
        Assert.Equal("scale", badScale.ParamName);

        using var gradient = accelerator.Allocate1D<float>(shape.QueryLength);
        using var keyGradient = accelerator.Allocate1D<float>(shape.KeyLength);
        var sharedGradients = Assert.Throws<ArgumentException>(() =>
            GpuNormalizers.MultiMax2Gpu.AttentionBackward(device.Stream, query.View, key.View, key.View, output.View, logSumExp.View, output.View,
                gradient.View, keyGradient.View, keyGradient.View, shape, parameters.View, parameters.View));
        Assert.Equal("valueGradient", sharedGradients.ParamName);

        Assert.All(output.GetAsArray1D(), value => Assert.Equal(7f, value));
    }

    public void Dispose() => device.Dispose();

    private void Check<T>(GpuAttentionCase<T> op, AttentionCase c, Func<double[], T[]> convert, Func<T[], double[]> back, double cpuTolerance, double referenceTolerance)
        where T : unmanaged
    {
        Inputs<T> inputs = Inputs<T>.Draw(op.Layout, c, convert, back);
        Results<T> gpu = RunGpu(op, c, inputs, scale: null);
        Results<T> cpu = RunCpu(op, c, inputs);
        string what = $"{op.Name} {typeof(T).Name} {c}";
        Compare(cpu.AsDouble(back), gpu.AsDouble(back), cpuTolerance, what + " vs CPU");

        var reference = new ReferenceAttention(op.Layout.Bind(back(inputs.Parameters)), c.Shape, inputs.Padding, c.Causal, c.Shape.DefaultScale);
        double[] q = back(inputs.Query), k = back(inputs.Key), v = back(inputs.Value), dO = back(inputs.OutputGradient);
        (double[] output, double[] logSumExp) = reference.Forward(q, k, v);
        (double[] dq, double[] dk, double[] dv, double[] dp, _, _) = reference.Backward(q, k, v, dO, op.Layout);
        Compare(new Results<double>(output, logSumExp, dq, dk, dv, dp), gpu.AsDouble(back), referenceTolerance, what + " vs reference");
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
    }

    private Results<T> RunGpu<T>(GpuAttentionCase<T> op, AttentionCase c, Inputs<T> inputs, T? scale)
        where T : unmanaged
    {
        Accelerator accelerator = device.Accelerator;
        AttentionShape shape = c.Shape;
        // At least one element per buffer: ILGPU does not release an empty buffer cleanly; the views are cut to length.
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
        using var mask = accelerator.Allocate1D<byte>(Math.Max(1, inputs.Padding?.Length ?? 0));
        ArrayView<byte> maskView = default;
        if (inputs.Padding is { Length: > 0 } padding)
        {
            maskView = mask.View.SubView(0, padding.Length);
            maskView.CopyFromCPU(padding.Select(padded => padded ? (byte)1 : (byte)0).ToArray());
        }

        ArrayView<T> View(MemoryBuffer1D<T, Stride1D.Dense> buffer, long length) => buffer.View.SubView(0, length);
        op.Forward(device.Stream, View(query, shape.QueryLength), View(key, shape.KeyLength), View(value, shape.KeyLength),
            View(output, shape.QueryLength), View(logSumExp, shape.LogSumExpLength), shape, View(parameters, inputs.Parameters.Length), maskView, c.Causal, scale);
        op.Backward(device.Stream, View(query, shape.QueryLength), View(key, shape.KeyLength), View(value, shape.KeyLength),
            View(output, shape.QueryLength), View(logSumExp, shape.LogSumExpLength), View(outputGradient, shape.QueryLength),
            View(queryGradient, shape.QueryLength), View(keyGradient, shape.KeyLength), View(valueGradient, shape.KeyLength), shape,
            View(parameters, inputs.Parameters.Length), View(parameterGradients, inputs.Parameters.Length), maskView, c.Causal, scale);
        device.Stream.Synchronize();

        T[] Download(MemoryBuffer1D<T, Stride1D.Dense> buffer, long length)
        {
            var data = new T[length];
            View(buffer, length).CopyToCPU(data);
            return data;
        }

        return new Results<T>(
            Download(output, shape.QueryLength), Download(logSumExp, shape.LogSumExpLength), Download(queryGradient, shape.QueryLength),
            Download(keyGradient, shape.KeyLength), Download(valueGradient, shape.KeyLength), Download(parameterGradients, inputs.Parameters.Length));
    }

    private static Results<T> RunCpu<T>(GpuAttentionCase<T> op, AttentionCase c, Inputs<T> inputs)
        where T : unmanaged
    {
        AttentionShape shape = c.Shape;
        var results = new Results<T>(
            new T[shape.QueryLength], new T[shape.LogSumExpLength], new T[shape.QueryLength], new T[shape.KeyLength], new T[shape.KeyLength],
            new T[inputs.Parameters.Length]);
        op.CpuForward(inputs.Query, inputs.Key, inputs.Value, results.Output, results.LogSumExp, shape, inputs.Parameters, inputs.Padding, c.Causal);
        op.CpuBackward(inputs.Query, inputs.Key, inputs.Value, results.Output, results.LogSumExp, inputs.OutputGradient,
            results.QueryGradient, results.KeyGradient, results.ValueGradient, shape, inputs.Parameters, results.ParameterGradients, inputs.Padding, c.Causal);
        return results;
    }

    private sealed record Inputs<T>(T[] Query, T[] Key, T[] Value, T[] OutputGradient, T[] Parameters, bool[]? Padding)
    {
        public static Inputs<T> Draw(ParameterLayout layout, AttentionCase c, Func<double[], T[]> convert, Func<T[], double[]> back)
        {
            var random = new Random(StableSeed.Of(c.ToString()));
            AttentionShape shape = c.Shape;
            bool[]? padding = c.DrawMask(random);

            return new Inputs<T>(
                convert(TestData.Normal(random, (int)shape.QueryLength, 1)), convert(TestData.Normal(random, (int)shape.KeyLength, 1)),
                convert(TestData.Normal(random, (int)shape.KeyLength, 1)), convert(TestData.Normal(random, (int)shape.QueryLength, 1)),
                convert(TestData.Parameters(random, layout)), padding);
        }
    }

    private sealed record Results<T>(T[] Output, T[] LogSumExp, T[] QueryGradient, T[] KeyGradient, T[] ValueGradient, T[] ParameterGradients)
    {
        public Results<double> AsDouble(Func<T[], double[]> back) =>
            new(back(Output), back(LogSumExp), back(QueryGradient), back(KeyGradient), back(ValueGradient), back(ParameterGradients));
    }
}
