using System;
using System.Linq;
using MultiMax.Gpu.Tests.Support;
using MultiMax.Tests.Reference;
using MultiMax.Tests.Support;
using Xunit;

namespace MultiMax.Gpu.Tests.Normalizers;

/// <summary>The numerical edges of the CPU kernels' NumericsTests, on the GPU kernels (ILGPU's CPU accelerator).</summary>
public sealed class NumericsTests : IDisposable
{
    private readonly GpuDevice device = TestDevice.Create();

    /// <summary>Log-probabilities are (σ − max) − log Σ on the GPU too: accurate at any magnitude of the row.</summary>
    [Theory]
    [InlineData(1e6)]
    [InlineData(-1e8)]
    public void FloatLogOutputsStayAccurateAtLargeMagnitudes(double offset)
    {
        GpuCase normalizer = GpuCase.Named("LogMultiMax2");
        var random = new Random(9);
        const int rowLength = 33;
        float[] x = TestData.ToFloat(TestData.Normal(random, 4 * rowLength, 1).Select(v => v + offset).ToArray());
        float[] dy = TestData.ToFloat(TestData.Normal(random, x.Length, 1)), parameters = new float[8];
        (float[] y, float[] dx, _) = GpuRun.ForwardAndBackward(device, x, dy, parameters, rowLength, normalizer.ForwardFloat!, normalizer.BackwardFloat!);

        ReferenceNormalizer reference = normalizer.Layout.Bind(new double[8]);
        double[] exact = TestData.ToDouble(x);
        Close.All(reference.Forward(exact, rowLength), TestData.ToDouble(y), 4e-6, 1e-6, $"y at {offset:E0}");
        Close.All(reference.Backward(exact, TestData.ToDouble(dy), rowLength).Dx, TestData.ToDouble(dx), 2e-6, 1e-5, $"dx at {offset:E0}");
    }

    [Fact]
    public void ZeroParametersAreSoftMaxBesideHugeFiniteScores()
    {
        GpuCase normalizer = GpuCase.Named("MultiMax2");
        float[] x = { 0.5f, -1f, -3.4e38f, 2f, 0f, -1e20f, 1f, -0.25f, 3f }, dy = { 0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f, 0.7f, -0.8f, 0.9f };
        (float[] y, float[] dx, float[] gradients) = GpuRun.ForwardAndBackward(device, x, dy, new float[8], 9, normalizer.ForwardFloat!, normalizer.BackwardFloat!);

        ReferenceNormalizer softMax = new ParameterLayout().Bind(Array.Empty<double>());
        Close.All(softMax.Forward(TestData.ToDouble(x), 9), TestData.ToDouble(y), 1e-7, 1e-6, "y");
        Close.All(softMax.Backward(TestData.ToDouble(x), TestData.ToDouble(dy), 9).Dx, TestData.ToDouble(dx), 1e-7, 1e-5, "dx");
        Assert.All(gradients, g => Assert.True(float.IsFinite(g), $"a parameter gradient is {g}"));
    }

    /// <summary>
    /// The CPU kernels' rule for a NaN parameter, on an accelerator where XMath.Max keeps the NaN (CUDA drops it): every
    /// row with an unmasked entry is NaN, a fully masked row stays 0 with dx 0, every parameter gradient is NaN.
    /// </summary>
    [Theory]
    [InlineData("MultiMax2", 6)]
    [InlineData("LogMultiMax2", 0)]
    [InlineData("MultiMaxV2", 4)]
    public void ANaNParameterMakesEveryLiveRowNaN(string name, int poisoned)
    {
        GpuCase normalizer = GpuCase.Named(name);
        foreach (int rowLength in new[] { 1, 3, 17, 40 })
        {
            var random = new Random(rowLength);
            double[] x = TestData.Normal(random, 3 * rowLength, 2), dy = TestData.Normal(random, x.Length, 1);
            Array.Fill(x, double.NegativeInfinity, rowLength, rowLength);
            double[] parameters = TestData.Parameters(random, normalizer.Layout);
            parameters[poisoned] = double.NaN;
            (double[] y, double[] dx, double[] gradients) = GpuRun.ForwardAndBackward(device, x, dy, parameters, rowLength, normalizer.ForwardDouble!, normalizer.BackwardDouble!);

            string what = $"{name}, parameter {poisoned} NaN, rows of {rowLength}";
            foreach (int row in new[] { 0, 2 })
            {
                Assert.All(y.AsSpan(row * rowLength, rowLength).ToArray(), v => Assert.True(double.IsNaN(v), what + ": y of a live row"));
                Assert.All(dx.AsSpan(row * rowLength, rowLength).ToArray(), v => Assert.True(double.IsNaN(v), what + ": dx of a live row"));
            }

            Assert.All(y.AsSpan(rowLength, rowLength).ToArray(), v => Assert.Equal(normalizer.Layout.Log ? double.NegativeInfinity : 0, v));
            Assert.All(dx.AsSpan(rowLength, rowLength).ToArray(), v => Assert.Equal(0, v));
            Assert.All(gradients, g => Assert.True(double.IsNaN(g), what + ": a parameter gradient"));
        }
    }

    public void Dispose() => device.Dispose();
}
