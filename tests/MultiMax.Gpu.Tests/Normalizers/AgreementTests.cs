using System;
using System.Collections.Generic;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using MultiMax.Gpu.Tests.Support;
using MultiMax.Tests.Reference;
using MultiMax.Tests.Support;
using Xunit;

namespace MultiMax.Gpu.Tests.Normalizers;

/// <summary>
/// Every generated GPU class, run on ILGPU's CPU accelerator, against the CPU span operators and the independent
/// double reference: forward, input gradient and parameter gradients, with a masked entry and a fully masked row,
/// over rows of one entry, odd rows, and rows longer than a group (the CPU accelerator's groups hold 16 lanes).
/// </summary>
public sealed class AgreementTests : IDisposable
{
    private static readonly int[] RowLengths = { 1, 2, 3, 17, 40, 300 };
    private readonly GpuDevice device = TestDevice.Create();

    public static IEnumerable<object[]> DoubleCases() => GpuCase.All().Where(c => c.ForwardDouble is not null).Select(c => new object[] { c.Name });

    public static IEnumerable<object[]> FloatCases() => GpuCase.All().Where(c => c.ForwardFloat is not null).Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(DoubleCases))]
    public void DoubleMatchesTheCpuOperatorsAndTheReference(string name)
    {
        GpuCase normalizer = GpuCase.Named(name);
        foreach (int rowLength in RowLengths)
        {
            (double[] x, double[] dy, double[] parameters) = Inputs(normalizer.Layout, rowLength, seed: rowLength, poisoned: false);
            (double[] y, double[] dx, double[] gradients) = RunGpu(x, dy, parameters, rowLength, normalizer.ForwardDouble!, normalizer.BackwardDouble!);

            var cpuY = new double[x.Length];
            var cpuDx = new double[x.Length];
            var cpuGradients = new double[parameters.Length];
            normalizer.CpuDouble!(x, cpuY, rowLength, parameters);
            normalizer.CpuDoubleBackward!(x, cpuY, dy, cpuDx, rowLength, parameters, cpuGradients);
            string what = $"{name} double, rows of {rowLength}";
            Close.All(cpuY, y, 1e-13, 1e-12, what + " y vs CPU");
            Close.All(cpuDx, dx, 1e-12, 1e-10, what + " dx vs CPU");
            Close.All(cpuGradients, gradients, 1e-11, 1e-9, what + " parameter gradients vs CPU");

            ReferenceNormalizer reference = normalizer.Layout.Bind(parameters);
            (double[] referenceDx, ReferenceGradients referenceGradients) = reference.Backward(x, dy, rowLength);
            Close.All(reference.Forward(x, rowLength), y, 1e-13, 1e-12, what + " y vs reference");
            Close.All(referenceDx, dx, 1e-12, 1e-10, what + " dx vs reference");
            Close.All(normalizer.Layout.Flatten(referenceGradients), gradients, 1e-11, 1e-9, what + " parameter gradients vs reference");
        }
    }

    [Theory]
    [MemberData(nameof(FloatCases))]
    public void FloatMatchesTheCpuOperators(string name)
    {
        GpuCase normalizer = GpuCase.Named(name);
        foreach (int rowLength in RowLengths)
        {
            (double[] xd, double[] dyd, double[] pd) = Inputs(normalizer.Layout, rowLength, seed: 100 + rowLength, poisoned: false);
            float[] x = TestData.ToFloat(xd), dy = TestData.ToFloat(dyd), parameters = TestData.ToFloat(pd);
            (float[] y, float[] dx, float[] gradients) = RunGpu(x, dy, parameters, rowLength, normalizer.ForwardFloat!, normalizer.BackwardFloat!);

            var cpuY = new float[x.Length];
            var cpuDx = new float[x.Length];
            var cpuGradients = new float[parameters.Length];
            normalizer.CpuFloat!(x, cpuY, rowLength, parameters);
            normalizer.CpuFloatBackward!(x, cpuY, dy, cpuDx, rowLength, parameters, cpuGradients);
            string what = $"{name} float, rows of {rowLength}";
            Close.All(TestData.ToDouble(cpuY), TestData.ToDouble(y), 2e-6, 2e-5, what + " y");
            Close.All(TestData.ToDouble(cpuDx), TestData.ToDouble(dx), 1e-5, 1e-4, what + " dx");
            Close.All(TestData.ToDouble(cpuGradients), TestData.ToDouble(gradients), 1e-4, 1e-3, what + " parameter gradients");
        }
    }

    [Theory]
    [InlineData("MultiMax2")]
    [InlineData("LogMultiMax2")]
    public void ForwardInPlaceGivesTheSameResult(string name)
    {
        GpuCase normalizer = GpuCase.Named(name);
        (double[] x, _, double[] parameters) = Inputs(normalizer.Layout, 17, seed: 7, poisoned: true);
        var expected = new double[x.Length];
        normalizer.CpuDouble!(x, expected, 17, parameters);

        using MemoryBuffer1D<double, Stride1D.Dense> data = device.Accelerator.Allocate1D(x);
        using MemoryBuffer1D<double, Stride1D.Dense> p = device.Accelerator.Allocate1D(parameters);
        normalizer.ForwardDouble!(device.Stream, data.View, data.View, 17, p.View);
        device.Stream.Synchronize();
        Close.All(expected, data.GetAsArray1D(), 1e-13, 1e-12, name + " in place");
    }

    [Theory]
    [MemberData(nameof(DoubleCases))]
    public void NaNOrInfinityPoisonsOnlyItsRowAndTheParameterGradients(string name)
    {
        GpuCase normalizer = GpuCase.Named(name);
        foreach (int rowLength in new[] { 1, 17 })
        {
            (double[] x, double[] dy, double[] parameters) = Inputs(normalizer.Layout, rowLength, seed: 50 + rowLength, poisoned: true);
            (double[] y, double[] dx, double[] gradients) = RunGpu(x, dy, parameters, rowLength, normalizer.ForwardDouble!, normalizer.BackwardDouble!);

            // Rows 4 (a NaN) and 5 (a +∞) are NaN throughout, in y and dx; every other row is untouched by them.
            var cpuY = new double[x.Length];
            var cpuDx = new double[x.Length];
            normalizer.CpuDouble!(x, cpuY, rowLength, parameters);
            normalizer.CpuDoubleBackward!(x, cpuY, dy, cpuDx, rowLength, parameters, new double[parameters.Length]);
            string what = $"{name}, rows of {rowLength}";
            Assert.All(y[(4 * rowLength)..], v => Assert.True(double.IsNaN(v), what + ": a poisoned row's y"));
            Assert.All(dx[(4 * rowLength)..], v => Assert.True(double.IsNaN(v), what + ": a poisoned row's dx"));
            Close.All(cpuY, y, 1e-13, 1e-12, what + " y vs CPU");
            Close.All(cpuDx, dx, 1e-12, 1e-10, what + " dx vs CPU");

            // The parameter gradients sum over every row: autograd of the reference formula makes them NaN, and so does
            // the GPU backward, on every accelerator (no branch skips a poisoned entry's terms).
            Assert.All(gradients, g => Assert.True(double.IsNaN(g), what + ": a parameter gradient after a poisoned row"));
        }
    }

    public void Dispose() => device.Dispose();

    /// <summary>
    /// Rows of random scores: row 0 has a masked entry, row 1 is fully masked, rows 2 and 3 are plain; when
    /// <paramref name="poisoned"/>, row 4 holds a NaN and row 5 a +∞. The parameters make σ non-monotone.
    /// </summary>
    private static (double[] X, double[] Dy, double[] Parameters) Inputs(ParameterLayout layout, int rowLength, int seed, bool poisoned)
    {
        var random = new Random(seed);
        double[] x = TestData.Normal(random, (poisoned ? 6 : 4) * rowLength, 2.0);
        double[] dy = TestData.Normal(random, x.Length, 1.0);
        double[] parameters = TestData.Parameters(random, layout);
        if (rowLength > 1)
        {
            x[1] = double.NegativeInfinity;
        }

        Array.Fill(x, double.NegativeInfinity, rowLength, rowLength);
        if (poisoned)
        {
            x[4 * rowLength + rowLength / 2] = double.NaN;
            x[5 * rowLength] = double.PositiveInfinity;
        }

        return (x, dy, parameters);
    }

    private (T[] Y, T[] Dx, T[] Gradients) RunGpu<T>(
        T[] x, T[] dy, T[] parameters, int rowLength,
        Action<AcceleratorStream, ArrayView<T>, ArrayView<T>, int, ArrayView<T>> forward,
        Action<AcceleratorStream, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, ArrayView<T>, ArrayView<T>> backward)
        where T : unmanaged =>
        GpuRun.ForwardAndBackward(device, x, dy, parameters, rowLength, forward, backward);
}
