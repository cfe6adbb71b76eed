using System;
using MultiMax.Torch.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace MultiMax.Torch.Tests.Normalizers;

/// <summary>The numerical edges, on both paths of a generated function: the fused kernels and the torch-ops formula.</summary>
public sealed class NumericsTests
{
    /// <summary>Zero parameters are SoftMax beside huge finite scores, where 0·r² once made the row NaN on both paths.</summary>
    [Theory]
    [InlineData(-3.4e38)]
    [InlineData(-1e20)]
    public void ZeroParametersAreSoftMaxBesideHugeFiniteScores(double huge)
    {
        using var scope = NewDisposeScope();
        Tensor x = tensor(new[] { 0.5f, -1f, (float)huge, 2f, 0f, (float)huge, 1f }).reshape(1, 7);
        Tensor parameters = zeros(8);
        Tensor expected = nn.functional.softmax(x, -1);
        TensorAssert.Close(expected, TorchNormalizers.MultiMax2Function.Apply(x, parameters), 1e-7, 1e-6, "fused");
        TensorAssert.Close(expected, TorchNormalizers.MultiMax2Function.Formula(x, parameters), 1e-7, 1e-6, "formula");
    }

    /// <summary>
    /// Log-probabilities as accurate as torch's own log_softmax at large magnitudes (they once lost far more than the
    /// tolerance here).
    /// </summary>
    [Fact]
    public void LogOutputsMatchLogSoftMaxAtLargeMagnitudes()
    {
        using var scope = NewDisposeScope();
        manual_seed(30);
        Tensor x = randn(8, 33) + 1e4;
        Tensor expected = nn.functional.log_softmax(x.to(ScalarType.Float64), -1);
        TensorAssert.Close(expected, TorchNormalizers.LogMultiMax2Function.Apply(x, zeros(8)).to(ScalarType.Float64), 2e-6, 1e-6, "fused");
    }

    /// <summary>Both paths keep a masked entry's upstream gradient (here ∞) out of the row: dx is finite, 0 where masked.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AMaskedEntrysUpstreamGradientReachesNothingOnBothPaths(bool logarithm)
    {
        using var scope = NewDisposeScope();
        manual_seed(31);
        Tensor x = randn(2, 6, ScalarType.Float64);
        x[0, 2] = double.NegativeInfinity;
        Tensor parameters = rand(8, ScalarType.Float64);
        Tensor upstream = randn(2, 6, ScalarType.Float64);
        upstream[0, 2] = double.PositiveInfinity;
        foreach (bool fused in new[] { true, false })
        {
            Tensor input = x.clone().requires_grad_(true);
            Tensor y = (logarithm, fused) switch
            {
                (false, true) => TorchNormalizers.MultiMax2Function.Apply(input, parameters),
                (false, false) => TorchNormalizers.MultiMax2Function.Formula(input, parameters),
                (true, true) => TorchNormalizers.LogMultiMax2Function.Apply(input, parameters),
                _ => TorchNormalizers.LogMultiMax2Function.Formula(input, parameters),
            };
            y.backward(new[] { upstream });
            Assert.True(input.grad!.isfinite().all().item<bool>(), $"fused: {fused}");
            Assert.Equal(0.0, input.grad![0, 2].item<double>());
        }
    }

    /// <summary>A NaN parameter gives NaN rows on both paths alike, at every row length; fully masked rows stay 0.</summary>
    [Theory]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(16)]
    public void ANaNThresholdGivesNaNRowsOnBothPaths(int rowLength)
    {
        using var scope = NewDisposeScope();
        manual_seed(rowLength);
        Tensor x = randn(3, rowLength);
        x[1] = full(rowLength, float.NegativeInfinity);
        Tensor parameters = rand(8);
        parameters[6] = float.NaN;
        foreach ((string path, Tensor y) in new[] { ("fused", TorchNormalizers.MultiMax2Function.Apply(x, parameters)), ("formula", TorchNormalizers.MultiMax2Function.Formula(x, parameters)) })
        {
            Assert.True(y[0].isnan().all().item<bool>(), $"{path}: row 0");
            Assert.True(y[2].isnan().all().item<bool>(), $"{path}: row 2");
            Assert.True(y[1].eq(0).all().item<bool>(), $"{path}: the fully masked row");
        }
    }
}
