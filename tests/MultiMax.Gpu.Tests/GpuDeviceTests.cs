using System;
using System.Linq;
using ILGPU.Runtime;
using MultiMax.Tests.Support;
using Xunit;

namespace MultiMax.Gpu.Tests;

/// <summary>Device setup with a CPU fallback, and the host-array helpers: the three-line path of docs/gpu.md.</summary>
public sealed class GpuDeviceTests
{
    [Fact]
    public void PreferringTheCpuGivesTheCpuAccelerator()
    {
        using GpuDevice device = GpuDevice.Create(preferCpu: true);
        Assert.Equal(AcceleratorType.CPU, device.Accelerator.AcceleratorType);
        Assert.False(device.IsGpu);
    }

    [Fact]
    public void PrintsWhatItIsNotItsTypeName()
    {
        using GpuDevice device = GpuDevice.CreateCpu();
        string text = device.ToString();
        Assert.Equal(
            $"ILGPU CPU accelerator (a GPU emulated on the CPU: warps of {device.Accelerator.WarpSize}, up to {device.Accelerator.MaxNumThreadsPerGroup} threads per group)",
            text);
        Assert.DoesNotContain(nameof(GpuDevice), text);
    }

    [Fact]
    public void CreateGivesAWorkingAcceleratorWhateverTheMachine()
    {
        // CUDA where there is one, the CPU accelerator elsewhere (as in CI): either way the kernels run.
        using GpuDevice device = GpuDevice.Create();
        Assert.Equal(device.Accelerator.AcceleratorType != AcceleratorType.CPU, device.IsGpu);
        Assert.Equal(GpuDevice.IsCudaAvailable(), device.IsGpu);
        double[] y = device.Normalize(GpuNormalizers.SoftMaxGpu.Forward, new double[] { 0, Math.Log(3) }, 2);
        Close.All(new[] { 0.25, 0.75 }, y, 1e-12, 1e-12, "SoftMax of (0, log 3)");
    }

    [Fact]
    public void NormalizeCopiesInRunsAndCopiesOut()
    {
        using GpuDevice device = GpuDevice.CreateCpu();
        float[] scores = { 0.5f, -1f, 2f, float.NegativeInfinity, 1f, 0f };
        float[] parameters = { 0.2f, -0.1f, 0.05f, 0.02f, -1f, 1f, -0.5f, 0.5f };
        var expected = new float[scores.Length];
        MultiMax.Normalizers.MultiMax2(scores, expected, 3, parameters);

        float[] y = device.Normalize(GpuNormalizers.MultiMax2Gpu.Forward, scores, 3, parameters);

        Close.All(TestData.ToDouble(expected), TestData.ToDouble(y), 1e-6, 1e-5, "MultiMax2 through Normalize");
        Assert.Equal(0.5f, scores[0]); // the input array is left as it was
    }

    [Fact]
    public void NormalizeRefusesBadInputBeforeCopying()
    {
        using GpuDevice device = GpuDevice.CreateCpu();
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => device.Normalize(GpuNormalizers.SoftMaxGpu.Forward, new float[5], 2)).ParamName);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() =>
            device.Normalize(GpuNormalizers.MultiMax2Gpu.Forward, new float[4], 2, new float[3])).ParamName);
        Assert.Empty(device.Normalize(GpuNormalizers.SoftMaxGpu.Forward, Array.Empty<float>(), 2));
    }

    [Fact]
    public void AttentionCopiesInRunsAndCopiesOut()
    {
        using GpuDevice device = GpuDevice.CreateCpu();
        var random = new Random(11);
        var shape = new AttentionShape(2, 1, 5, 6, 16);
        float[] q = TestData.ToFloat(TestData.Normal(random, (int)shape.QueryLength, 1));
        float[] k = TestData.ToFloat(TestData.Normal(random, (int)shape.KeyLength, 1));
        float[] v = TestData.ToFloat(TestData.Normal(random, (int)shape.KeyLength, 1));
        float[] parameters = { 0.2f, -0.1f, 0.05f, 0.02f, -1f, 1f, -0.5f, 0.5f };
        bool[] padding = { false, false, true, false, false, false, false, true, true, true, true, true };
        var expected = new float[shape.QueryLength];
        MultiMax.Normalizers.MultiMax2Attention(q, k, v, expected, new float[shape.LogSumExpLength], shape, parameters, padding, causal: true);

        float[] output = device.Attention(GpuNormalizers.MultiMax2Gpu.Attention, q, k, v, shape, parameters, padding, causal: true);

        Close.All(TestData.ToDouble(expected), TestData.ToDouble(output), 1e-5, 1e-4, "MultiMax2 attention through the host helper");
        Assert.Equal(
            TestData.ToDouble(device.Attention(GpuNormalizers.SoftMaxGpu.Attention, q, k, v, shape)),
            TestData.ToDouble(device.Attention(GpuNormalizers.MultiMax2Gpu.Attention, q, k, v, shape, new float[8])));
    }

    /// <summary>Every option through the host helper: grouped heads, a bottom-right causal window, a bias shared by the batch, sinks.</summary>
    [Fact]
    public void AttentionWithOptionsCopiesEveryOptionIn()
    {
        using GpuDevice device = GpuDevice.CreateCpu();
        var random = new Random(13);
        var shape = new AttentionShape(2, 4, 5, 9, 16) { KeyValueHeads = 2 };
        float[] q = TestData.ToFloat(TestData.Normal(random, (int)shape.QueryLength, 1));
        float[] k = TestData.ToFloat(TestData.Normal(random, (int)shape.KeyLength, 1));
        float[] v = TestData.ToFloat(TestData.Normal(random, (int)shape.KeyLength, 1));
        float[] parameters = { 0.2f, -0.1f, 0.05f, 0.02f, -1f, 1f, -0.5f, 0.5f };
        float[] bias = TestData.ToFloat(TestData.Normal(random, 4 * 5 * 9, 1));
        float[] sinks = { 0.5f, -1f, 0f, 2f };
        bool[] padding = Enumerable.Range(0, (int)shape.MaskLength).Select(i => i % 4 == 1).ToArray();
        var options = new AttentionOptions<float>
        {
            KeyPaddingMask = padding, Causal = true, Alignment = CausalAlignment.BottomRight, Window = (3, 0),
            Bias = bias, BiasShape = new AttentionBiasShape(1, 4, 5, 9), Sinks = sinks,
        };
        var expected = new float[shape.QueryLength];
        MultiMax.Normalizers.MultiMax2Attention(q, k, v, expected, new float[shape.LogSumExpLength], shape, parameters, options);

        float[] output = device.Attention(GpuNormalizers.MultiMax2Gpu.Attention, q, k, v, shape, parameters, options);

        Close.All(TestData.ToDouble(expected), TestData.ToDouble(output), 1e-5, 1e-4, "MultiMax2 attention with every option through the host helper");
    }

    [Fact]
    public void CrossEntropyCopiesInAndReturnsTheMeanLoss()
    {
        using GpuDevice device = GpuDevice.CreateCpu();
        var random = new Random(12);
        var shape = new CrossEntropyShape(7, 8, 11);
        double[] hidden = TestData.Normal(random, (int)shape.HiddenLength, 1), weight = TestData.Normal(random, (int)shape.WeightLength, 0.3);
        double[] parameters = { 0.2, -0.1, 0.05, 0.02, -1, 1, -0.5, 0.5 };
        long[] targets = { 3, -100, 0, 10, 3, 5, -100 };
        double expected = MultiMax.Normalizers.MultiMax2CrossEntropy(hidden, weight, default, targets, shape, parameters);

        double loss = device.CrossEntropy(GpuNormalizers.MultiMax2Gpu.CrossEntropy, hidden, weight, null, targets, shape, parameters);

        Close.All([expected], [loss], 1e-12, 1e-12, "MultiMax2 loss through the host helper");
        Assert.Equal("targets", Assert.Throws<ArgumentOutOfRangeException>(() =>
            device.CrossEntropy(GpuNormalizers.SoftMaxGpu.CrossEntropy, hidden, weight, null, [11, 0, 0, 0, 0, 0, 0], shape)).ParamName);
    }
}
