using System.Linq;
using MultiMax.Torch.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace MultiMax.Torch.Tests.Normalizers;

/// <summary>Modules own the reference code's parameters, initialised as it does, so a fresh MultiMax is close to SoftMax.</summary>
public sealed class InitialisationTests
{
    [Fact]
    public void MultiMax2OwnsTsAndRangesFromATruncatedNormalWithStd002()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        double[] draws = Enumerable.Range(0, 500).SelectMany(_ =>
        {
            var module = new TorchNormalizers.MultiMax2Module();
            Assert.Equal(new[] { "ts", "ranges" }, module.named_parameters().Select(p => p.name));
            Assert.Equal(new long[] { 4 }, module.ts.shape);
            Assert.Equal(new long[] { 4 }, module.ranges.shape);
            Assert.True(module.ts.requires_grad);
            return TensorAssert.Values(module.ts).Concat(TensorAssert.Values(module.ranges));
        }).ToArray();

        double mean = draws.Average();
        double std = System.Math.Sqrt(draws.Select(d => (d - mean) * (d - mean)).Average());
        Assert.InRange(mean, -0.003, 0.003);
        Assert.InRange(std, 0.018, 0.022);
    }

    [Fact]
    public void V2AddsScaleOneAndShiftZero()
    {
        using var scope = NewDisposeScope();
        var module = new TorchNormalizers.MultiMaxV2Module();
        Assert.Equal(new[] { "ts", "ranges", "scale", "shift" }, module.named_parameters().Select(p => p.name));
        Assert.Equal(new[] { 1.0 }, TensorAssert.Values(module.scale));
        Assert.Equal(new[] { 0.0 }, TensorAssert.Values(module.shift));
    }

    /// <summary>A modulator written as C#: one parameter of shape [1] per learnable argument, named and initialised as declared.</summary>
    [Fact]
    public void AModulatorsArgumentsAreParametersNamedAndInitialisedAsDeclared()
    {
        using var scope = NewDisposeScope();
        var module = new Declarations.Ops.LogCappedMultiMaxModule();
        Assert.Equal(new[] { "a", "b", "c", "d", "cap" }, module.named_parameters().Select(p => p.name));
        Assert.All(module.parameters(), p => Assert.Equal(new long[] { 1 }, p.shape));
        Assert.Equal(new[] { 0.5, -0.5, 0.5, 0.5, 4.0 }, module.parameters().Select(p => TensorAssert.Values(p).Single()));
        Assert.Equal(new[] { 3.0 }, TensorAssert.Values(new Declarations.Ops.CappedModule().cap));
        Assert.Equal(new[] { "a", "b", "c", "d", "cap" }, Declarations.Ops.LogCappedMultiMaxParameters.Names);
    }

    [Fact]
    public void ConstantThresholdsLeaveNoRanges()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(new[] { "ts" }, new Declarations.Ops.LogCubicModule().named_parameters().Select(p => p.name));
        Assert.Empty(new TorchNormalizers.SoftMaxModule().named_parameters());
    }

    [Fact]
    public void AFreshMultiMaxIsCloseToSoftMax()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        Tensor x = randn(8, 50);
        TensorAssert.Close(nn.functional.softmax(x, -1), new TorchNormalizers.MultiMax2Module().forward(x), 0.1, 0, "fresh MultiMax");
    }
}
