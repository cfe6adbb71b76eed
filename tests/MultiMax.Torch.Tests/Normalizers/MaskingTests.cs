using MultiMax.Torch.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace MultiMax.Torch.Tests.Normalizers;

/// <summary>
/// −∞ entries get probability exactly 0 (log −∞) and gradient exactly 0; the other entries are normalized among
/// themselves; a fully masked row gives zeros, not NaN — on the fused path and on the torch-ops formula path.
/// </summary>
public sealed class MaskingTests
{
    [Theory]
    [InlineData("MultiMax2", ScalarType.Float32)]
    [InlineData("MultiMax2", ScalarType.Float64)]
    [InlineData("LogMultiMax2", ScalarType.Float32)]
    [InlineData("MultiMaxV2", ScalarType.Float64)]
    [InlineData("Custom", ScalarType.Float32)]
    [InlineData("Custom", ScalarType.Float64)]
    [InlineData("SoftMax", ScalarType.Float32)]
    [InlineData("Capped", ScalarType.Float32)]
    [InlineData("Hinged", ScalarType.Float64)]
    [InlineData("LogCappedMultiMax", ScalarType.Float32)]
    public void MaskedEntriesGetNoMassAndNoGradient(string name, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        NormalizerCase normalizer = NormalizerCase.Named(name);
        nn.Module<Tensor, Tensor> module = normalizer.Create();
        NormalizerCase.Randomize(module);

        // Row 0: entries 1 and 4 masked; row 1: nothing masked; row 2: everything masked.
        Tensor x = randn(3, 6, ScalarType.Float64) * 2;
        x[0, 1] = tensor(double.NegativeInfinity);
        x[0, 4] = tensor(double.NegativeInfinity);
        x[2] = full(6, double.NegativeInfinity, ScalarType.Float64);
        Tensor input = x.to(dtype).requires_grad_(true);
        Tensor upstream = randn(3, 6, ScalarType.Float64);

        Tensor y = module.forward(input);
        (y.masked_fill(y.isinf(), 0) * upstream.to(dtype)).sum().backward();

        double masked = normalizer.Logarithm ? double.NegativeInfinity : 0;
        double[] values = TensorAssert.Values(y), gradients = TensorAssert.Values(input.grad!);
        foreach (int i in new[] { 1, 4, 12, 13, 14, 15, 16, 17 })
        {
            Assert.Equal(masked, values[i]);
            Assert.Equal(0, gradients[i]);
        }

        // The unmasked entries of row 0 are the reference on just those entries.
        Tensor kept = input.detach()[0].index(tensor(new long[] { 0, 2, 3, 5 })).to(ScalarType.Float64);
        Tensor expected = normalizer.Reference(kept, NormalizerCase.ReferenceParameters(module));
        (double absolute, double relative) = TensorAssert.For(dtype);
        TensorAssert.Close(expected, y.detach()[0].index(tensor(new long[] { 0, 2, 3, 5 })), absolute, relative, $"{name} masked row");
        Assert.All(gradients, g => Assert.True(double.IsFinite(g)));
        foreach ((string parameterName, TorchSharp.Modules.Parameter parameter) in module.named_parameters())
        {
            Assert.All(TensorAssert.Values(parameter.grad!), g => Assert.True(double.IsFinite(g), $"d{parameterName} is {g}"));
        }
    }
}
