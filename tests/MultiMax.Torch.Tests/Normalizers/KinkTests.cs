using System.Linq;
using MultiMax.Torch.Tests.Declarations;
using MultiMax.Torch.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MultiMax.Torch.Tests.Normalizers;

/// <summary>
/// σ written as C# at its kinks: the fused kernels' derivatives at exactly x = 0 (max), 1 (abs), 2 (min) and t (?: and a
/// max of x and a parameter) are the ones TorchSharp autograd gives for the generated torch formula — ties of maximum and
/// minimum split half and half, abs has slope 0, where takes the selected branch — to the input and to the parameters.
/// </summary>
public sealed class KinkTests
{
    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void TheKernelsDerivativesAtKinksAreAutogradsOfTheFormula(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var module = new Ops.KinkedModule();
        module.to(dtype);
        double[] values = { 0, 1, 2, 0.5, -0.75, 1.25, 0, 2, 0.5, 1, 3, -2 };
        Tensor x = tensor(values, dtype).reshape(2, 6).requires_grad_(true);
        Tensor upstream = randn(2, 6, dtype);
        (module.forward(x) * upstream).sum().backward();

        Tensor reference = x.detach().clone().requires_grad_(true);
        Tensor a = module.a.detach().clone().requires_grad_(true), t = module.t.detach().clone().requires_grad_(true);
        (Ops.KinkedFunction.Formula(reference, cat(new[] { a, t })) * upstream).sum().backward();

        (double absolute, double relative) = TensorAssert.For(dtype);
        TensorAssert.Close(reference.grad!, x.grad!, absolute, relative, "dx at the kinks");
        TensorAssert.Close(a.grad!, module.a.grad!, absolute * 10, relative * 10, "da");
        TensorAssert.Close(t.grad!, module.t.grad!, absolute * 10, relative * 10, "dt");
        Assert.True(TensorAssert.Values(x.grad!).All(double.IsFinite));
    }
}
