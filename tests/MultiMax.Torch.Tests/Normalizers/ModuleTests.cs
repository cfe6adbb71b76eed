using System.Collections.Generic;
using System.Linq;
using MultiMax.Torch.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MultiMax.Torch.Tests.Normalizers;

/// <summary>
/// Every generated module's forward, input gradient and parameter gradients against TorchSharp autograd of the
/// reference formula in float64, for float32 and float64, contiguous and transposed input, several leading shapes.
/// </summary>
public sealed class ModuleTests
{
    public static IEnumerable<object[]> Cases() =>
        from normalizer in NormalizerCase.All()
        from dtype in new[] { ScalarType.Float32, ScalarType.Float64 }
        from shape in new[] { "13", "4x7", "2x3x33", "3x2x1x5" }
        select new object[] { normalizer.Name, dtype, shape };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndGradientsMatchAutogradOfTheReference(string name, ScalarType dtype, string shape)
    {
        Check(name, dtype, shape.Split('x').Select(long.Parse).ToArray(), transposed: false);
    }

    [Theory]
    [InlineData("MultiMax2", ScalarType.Float32)]
    [InlineData("MultiMax2", ScalarType.Float64)]
    [InlineData("MultiMaxV2", ScalarType.Float32)]
    [InlineData("Custom", ScalarType.Float64)]
    [InlineData("LogCubic", ScalarType.Float32)]
    public void TransposedInputMatchesTheReference(string name, ScalarType dtype)
    {
        Check(name, dtype, new long[] { 3, 6, 17 }, transposed: true);
    }

    [Fact]
    public void ALongRowMatchesTheReference()
    {
        Check("MultiMax2", ScalarType.Float32, new long[] { 5, 1000 }, transposed: false);
    }

    private static void Check(string name, ScalarType dtype, long[] shape, bool transposed)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        NormalizerCase normalizer = NormalizerCase.Named(name);
        nn.Module<Tensor, Tensor> module = normalizer.Create();
        module.to(dtype);
        NormalizerCase.Randomize(module);

        // Transposed: the last axis is strided, so the module must make it contiguous.
        Tensor x = transposed
            ? (randn(shape[..^2].Append(shape[^1]).Append(shape[^2]).ToArray(), ScalarType.Float64) * 2).transpose(-1, -2)
            : randn(shape, ScalarType.Float64) * 2;
        Assert.Equal(transposed, !x.is_contiguous());
        Tensor input = x.to(dtype).detach().requires_grad_(true);
        Tensor upstream = randn(shape, ScalarType.Float64);

        Tensor y = module.forward(input);
        (y * upstream.to(dtype)).sum().backward();

        Dictionary<string, Tensor> parameters = NormalizerCase.ReferenceParameters(module);
        Tensor referenceInput = input.detach().to(ScalarType.Float64).requires_grad_(true);
        Tensor expected = normalizer.Reference(referenceInput, parameters);
        (expected * upstream).sum().backward();

        (double absolute, double relative) = TensorAssert.For(dtype);
        TensorAssert.Close(expected, y, absolute, relative, $"{name} y");
        TensorAssert.Close(referenceInput.grad!, input.grad!, absolute * 10, relative * 10, $"{name} dx");
        foreach ((string parameterName, TorchSharp.Modules.Parameter parameter) in module.named_parameters())
        {
            TensorAssert.Close(parameters[parameterName].grad!, parameter.grad!, absolute * 50, relative * 50, $"{name} d{parameterName}");
        }
    }
}
