using System;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using MultiMax.Gpu.Tests.Support;
using MultiMax.Tests.Reference;
using MultiMax.Tests.Support;
using Xunit;

namespace MultiMax.Gpu.Tests.CrossEntropy;

/// <summary>
/// The generated GPU loss kernels (statistics, class pass, token pass) on ILGPU's CPU accelerator, against the CPU span
/// operators and against <see cref="ReferenceCrossEntropy"/> (every logit materialized, in double): the loss and every
/// gradient, with ignored targets and forbidden classes, over shapes that cut the accelerator's tiles (8 × 8) unevenly.
/// With <c>MULTIMAX_GPU_TESTS=cuda</c> they run on a CUDA device, with larger shapes besides.
/// </summary>
public sealed class FusedCrossEntropyTests : IDisposable
{
    /// <summary>One token; counts that are not multiples of the tile; every target ignored; forbidden classes; no tokens; a dim of 0.</summary>
    public static readonly CrossEntropyCase[] Cases =
    {
        new(1, 16, 5, true, TargetMix.AllCounted),
        new(19, 20, 30, true, TargetMix.SomeIgnored),
        new(17, 16, 16, false, TargetMix.AllCounted),
        new(9, 7, 20, true, TargetMix.AllIgnored),
        new(21, 12, 27, true, TargetMix.SomeIgnored, ForbiddenClasses: true),
        new(0, 8, 10, false, TargetMix.AllCounted),
        new(13, 0, 9, true, TargetMix.SomeIgnored),
    };

    /// <summary>On a real GPU, where tiles hold up to 64 tokens and classes: several tiles each way, dims up to 256.</summary>
    public static readonly CrossEntropyCase[] GpuCases =
    {
        new(300, 64, 1000, true, TargetMix.SomeIgnored),
        new(129, 128, 257, false, TargetMix.AllCounted),
        new(70, 256, 130, true, TargetMix.SomeIgnored, ForbiddenClasses: true),
    };

    private readonly GpuDevice device = TestDevice.Create();

    [Theory]
    [MemberData(nameof(GpuCrossEntropyCatalog.DoubleNames), MemberType = typeof(GpuCrossEntropyCatalog))]
    public void DoubleMatchesTheCpuOperatorsAndTheReference(string name)
    {
        GpuCrossEntropyCase<double> op = GpuCrossEntropyCatalog.Double().Single(c => c.Name == name);
        foreach (CrossEntropyCase c in device.IsGpu ? Cases.Concat(GpuCases) : Cases)
        {
            Check(op, c, v => v, v => v, cpuTolerance: 1e-12, referenceTolerance: 1e-10);
        }
    }

    [Theory]
    [MemberData(nameof(GpuCrossEntropyCatalog.FloatNames), MemberType = typeof(GpuCrossEntropyCatalog))]
    public void FloatMatchesTheCpuOperatorsAndTheReference(string name)
    {
        GpuCrossEntropyCase<float> op = GpuCrossEntropyCatalog.Float().Single(c => c.Name == name);
        foreach (CrossEntropyCase c in device.IsGpu ? Cases.Concat(GpuCases) : Cases)
        {
            Check(op, c, TestData.ToFloat, TestData.ToDouble, cpuTolerance: 1e-5, referenceTolerance: 2e-5);
        }
    }

    [Fact]
    public void TheLossAndEveryGradientAreTheSameBitsOnEveryRun()
    {
        GpuCrossEntropyCase<float> op = GpuCrossEntropyCatalog.Float().Single(c => c.Name == "MultiMax2");
        var c = new CrossEntropyCase(23, 16, 37, true, TargetMix.SomeIgnored);
        Inputs<float> inputs = Inputs<float>.Draw(op.Layout, c, TestData.ToFloat, TestData.ToDouble);
        Results<float> first = RunGpu(op, c, inputs);
        for (int run = 0; run < 2; run++)
        {
            Results<float> again = RunGpu(op, c, inputs);
            Assert.Equal(first.Loss, again.Loss);
            Assert.Equal(first.ParameterGradients.Select(BitConverter.SingleToInt32Bits), again.ParameterGradients.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(first.WeightGradient.Select(BitConverter.SingleToInt32Bits), again.WeightGradient.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(first.HiddenGradient.Select(BitConverter.SingleToInt32Bits), again.HiddenGradient.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void ANaNParameterMakesTheLossAndEveryGradientNaN()
    {
        GpuCrossEntropyCase<float> op = GpuCrossEntropyCatalog.Float().Single(c => c.Name == "MultiMax2");
        var c = new CrossEntropyCase(3, 4, 6, true, TargetMix.AllCounted);
        Inputs<float> inputs = Inputs<float>.Draw(op.Layout, c, TestData.ToFloat, TestData.ToDouble);
        inputs.Parameters[5] = float.NaN; // a threshold: the relu alone would hide it
        Results<float> gpu = RunGpu(op, c, inputs);

        Assert.True(double.IsNaN(gpu.Loss));
        Assert.True(double.IsNaN(gpu.LossOnly));
        Assert.All(gpu.HiddenGradient.Concat(gpu.WeightGradient).Concat(gpu.BiasGradient).Concat(gpu.ParameterGradients), value => Assert.True(float.IsNaN(value)));
    }

    /// <summary>
    /// A bias of −∞ on a token's own target class: that token's loss, and so the mean, is +∞ (−log 0), and the gradients
    /// are those of the other terms, on both backends alike.
    /// </summary>
    [Fact]
    public void AForbiddenTargetGivesAnInfiniteLossAsOnTheCpu()
    {
        GpuCrossEntropyCase<double> op = GpuCrossEntropyCatalog.Double().Single(c => c.Name == "MultiMax2");
        var c = new CrossEntropyCase(5, 8, 11, true, TargetMix.AllCounted);
        Inputs<double> inputs = Inputs<double>.Draw(op.Layout, c, v => v, v => v);
        inputs.Bias[inputs.Targets[2]] = double.NegativeInfinity;
        Results<double> gpu = RunGpu(op, c, inputs);

        var cpu = new Results<double>(0, 0, new double[inputs.Hidden.Length], new double[inputs.Weight.Length], new double[inputs.Bias.Length], new double[inputs.Parameters.Length]);
        double cpuLoss = op.Cpu(inputs.Hidden, inputs.Weight, inputs.Bias, inputs.Targets, c.Shape, inputs.Parameters,
            cpu.HiddenGradient, cpu.WeightGradient, cpu.BiasGradient, cpu.ParameterGradients, -100);
        Assert.Equal(double.PositiveInfinity, cpuLoss);
        Assert.Equal(double.PositiveInfinity, gpu.LossOnly);
        Compare(cpu with { Loss = cpuLoss }, gpu, v => v, 1e-12, "forbidden target, GPU vs CPU");
    }

    [Fact]
    public void BadArgumentsThrowBeforeAnythingIsWritten()
    {
        Accelerator accelerator = device.Accelerator;
        var shape = new CrossEntropyShape(2, 3, 4);
        using var hidden = accelerator.Allocate1D<float>(6);
        using var weight = accelerator.Allocate1D<float>(12);
        using var bias = accelerator.Allocate1D<float>(4);
        using var parameters = accelerator.Allocate1D<float>(8);
        using var targets = accelerator.Allocate1D(new long[] { 0, 3 });
        using var badTargets = accelerator.Allocate1D(new long[] { 0, 4 });
        using var hiddenGradient = accelerator.Allocate1D(Enumerable.Repeat(-7f, 6).ToArray());
        using var weightGradient = accelerator.Allocate1D(Enumerable.Repeat(-7f, 12).ToArray());
        using var biasGradient = accelerator.Allocate1D(Enumerable.Repeat(-7f, 4).ToArray());
        using var parameterGradients = accelerator.Allocate1D(Enumerable.Repeat(-7f, 8).ToArray());

        double Backward(ArrayView<float> h, ArrayView<float> w, ArrayView<long> t, ArrayView<float> dw, ArrayView<float> db) =>
            GpuNormalizers.MultiMax2Gpu.CrossEntropyBackward(device.Stream, h, w, bias.View, t, shape, parameters.View, hiddenGradient.View, dw, db, parameterGradients.View);

        Assert.Equal("hidden", Assert.Throws<ArgumentException>(() => Backward(hidden.View.SubView(0, 5), weight.View, targets.View, weightGradient.View, biasGradient.View)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => Backward(hidden.View, weight.View.SubView(0, 11), targets.View, weightGradient.View, biasGradient.View)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentOutOfRangeException>(() => Backward(hidden.View, weight.View, badTargets.View, weightGradient.View, biasGradient.View)).ParamName);
        Assert.Equal("biasGradient", Assert.Throws<ArgumentException>(() => Backward(hidden.View, weight.View, targets.View, weightGradient.View, biasGradient.View.SubView(0, 3))).ParamName);
        Assert.Equal("weightGradient", Assert.Throws<ArgumentException>(() => Backward(hidden.View, weight.View, targets.View, weight.View, biasGradient.View)).ParamName);

        Assert.All(hiddenGradient.GetAsArray1D().Concat(weightGradient.GetAsArray1D()).Concat(biasGradient.GetAsArray1D()).Concat(parameterGradients.GetAsArray1D()),
            value => Assert.Equal(-7f, value));
    }

    public void Dispose() => device.Dispose();

    private void Check<T>(GpuCrossEntropyCase<T> op, CrossEntropyCase c, Func<double[], T[]> convert, Func<T[], double[]> back, double cpuTolerance, double referenceTolerance)
        where T : unmanaged
    {
        Inputs<T> inputs = Inputs<T>.Draw(op.Layout, c, convert, back);
        Results<T> gpu = RunGpu(op, c, inputs);
        string what = $"{op.Name} {typeof(T).Name} {c}";
        Assert.Equal(gpu.LossOnly, gpu.Loss);

        var cpu = new Results<T>(0, 0, new T[inputs.Hidden.Length], new T[inputs.Weight.Length], new T[inputs.Bias.Length], new T[inputs.Parameters.Length]);
        double cpuLoss = op.Cpu(inputs.Hidden, inputs.Weight, inputs.Bias, inputs.Targets, c.Shape, inputs.Parameters,
            cpu.HiddenGradient, cpu.WeightGradient, cpu.BiasGradient, cpu.ParameterGradients, -100);
        Compare(cpu with { Loss = cpuLoss }, gpu, back, cpuTolerance, what + " vs CPU");

        var reference = new ReferenceCrossEntropy(op.Layout.Bind(back(inputs.Parameters)), c.Shape);
        double[] h = back(inputs.Hidden), w = back(inputs.Weight);
        double[]? b = inputs.Bias.Length == 0 ? null : back(inputs.Bias);
        double loss = reference.Loss(h, w, b, inputs.Targets);
        (double[] dh, double[] dw, double[] db, double[] dp) = reference.Gradients(h, w, b, inputs.Targets, op.Layout);
        Close.All([loss], [gpu.Loss], referenceTolerance, referenceTolerance, what + " vs reference: loss");
        Close.All(dh, back(gpu.HiddenGradient), referenceTolerance, referenceTolerance * 10, what + " vs reference: dHidden");
        Close.All(dw, back(gpu.WeightGradient), referenceTolerance, referenceTolerance * 10, what + " vs reference: dWeight");
        if (b is not null)
        {
            Close.All(db, back(gpu.BiasGradient), referenceTolerance, referenceTolerance * 10, what + " vs reference: dBias");
        }

        double scale = 1 + dp.Select(Math.Abs).DefaultIfEmpty(0).Max();
        Close.All(dp, back(gpu.ParameterGradients), referenceTolerance * 10 * scale, referenceTolerance * 50, what + " vs reference: parameter gradients");
    }

    private static void Compare<T>(Results<T> expected, Results<T> actual, Func<T[], double[]> back, double tolerance, string what)
        where T : unmanaged
    {
        Close.All([expected.Loss], [actual.Loss], tolerance, tolerance, what + ": loss");
        Close.All(back(expected.HiddenGradient), back(actual.HiddenGradient), tolerance, tolerance * 10, what + ": dHidden");
        Close.All(back(expected.WeightGradient), back(actual.WeightGradient), tolerance, tolerance * 10, what + ": dWeight");
        Close.All(back(expected.BiasGradient), back(actual.BiasGradient), tolerance, tolerance * 10, what + ": dBias");
        double[] parameters = back(expected.ParameterGradients);
        double scale = 1 + parameters.Select(Math.Abs).DefaultIfEmpty(0).Max();
        Close.All(parameters, back(actual.ParameterGradients), tolerance * 10 * scale, tolerance * 50, what + ": parameter gradients");
    }

    private Results<T> RunGpu<T>(GpuCrossEntropyCase<T> op, CrossEntropyCase c, Inputs<T> inputs)
        where T : unmanaged
    {
        Accelerator accelerator = device.Accelerator;
        // At least one element per buffer: ILGPU does not release an empty buffer cleanly; the views are cut to length.
        MemoryBuffer1D<TElement, Stride1D.Dense> Upload<TElement>(TElement[] data)
            where TElement : unmanaged
        {
            MemoryBuffer1D<TElement, Stride1D.Dense> buffer = accelerator.Allocate1D<TElement>(Math.Max(1, data.Length));
            buffer.View.SubView(0, data.Length).CopyFromCPU(data);
            return buffer;
        }

        using var hidden = Upload(inputs.Hidden);
        using var weight = Upload(inputs.Weight);
        using var bias = Upload(inputs.Bias);
        using var targets = Upload(inputs.Targets);
        using var parameters = Upload(inputs.Parameters);
        using var hiddenGradient = Upload(new T[inputs.Hidden.Length]);
        using var weightGradient = Upload(new T[inputs.Weight.Length]);
        using var biasGradient = Upload(new T[inputs.Bias.Length]);
        using var parameterGradients = Upload(new T[inputs.Parameters.Length]);
        ArrayView<TElement> View<TElement>(MemoryBuffer1D<TElement, Stride1D.Dense> buffer, int length)
            where TElement : unmanaged => buffer.View.SubView(0, length);

        double lossOnly = op.Loss(device.Stream, View(hidden, inputs.Hidden.Length), View(weight, inputs.Weight.Length), View(bias, inputs.Bias.Length),
            View(targets, inputs.Targets.Length), c.Shape, View(parameters, inputs.Parameters.Length), -100);
        double loss = op.LossAndGradients(device.Stream, View(hidden, inputs.Hidden.Length), View(weight, inputs.Weight.Length), View(bias, inputs.Bias.Length),
            View(targets, inputs.Targets.Length), c.Shape, View(parameters, inputs.Parameters.Length),
            View(hiddenGradient, inputs.Hidden.Length), View(weightGradient, inputs.Weight.Length), View(biasGradient, inputs.Bias.Length),
            View(parameterGradients, inputs.Parameters.Length), -100);

        T[] Download(MemoryBuffer1D<T, Stride1D.Dense> buffer, int length)
        {
            var data = new T[length];
            View(buffer, length).CopyToCPU(data);
            return data;
        }

        return new Results<T>(loss, lossOnly, Download(hiddenGradient, inputs.Hidden.Length), Download(weightGradient, inputs.Weight.Length),
            Download(biasGradient, inputs.Bias.Length), Download(parameterGradients, inputs.Parameters.Length));
    }

    private sealed record Inputs<T>(T[] Hidden, T[] Weight, T[] Bias, long[] Targets, T[] Parameters)
    {
        public static Inputs<T> Draw(ParameterLayout layout, CrossEntropyCase c, Func<double[], T[]> convert, Func<T[], double[]> back)
        {
            var random = new Random(StableSeed.Of(c.ToString()));
            CrossEntropyShape shape = c.Shape;
            double[] h = TestData.Normal(random, (int)shape.HiddenLength, 1);
            double[] w = TestData.Normal(random, (int)shape.WeightLength, 1 / Math.Sqrt(shape.Dim));
            double[] b = c.Bias ? TestData.Normal(random, shape.Vocab, 0.5) : [];
            double[] parameters = TestData.Parameters(random, layout);
            long[] targets = c.DrawTargets(random);
            c.ForbidClasses(b, targets);

            return new Inputs<T>(convert(h), convert(w), convert(b), targets, convert(parameters));
        }
    }

    private sealed record Results<T>(double Loss, double LossOnly, T[] HiddenGradient, T[] WeightGradient, T[] BiasGradient, T[] ParameterGradients);
}
