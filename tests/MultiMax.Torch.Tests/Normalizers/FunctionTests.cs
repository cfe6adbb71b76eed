using System;
using MultiMax.Torch.Tests.Declarations;
using MultiMax.Torch.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace MultiMax.Torch.Tests.Normalizers;

/// <summary>The generated autograd function: its two paths agree, and bad arguments are refused before anything runs.</summary>
public sealed class FunctionTests
{
    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void TheTorchOpsFormulaAgreesWithTheFusedKernels(ScalarType dtype)
    {
        // The formula is the path for other devices; on the CPU it must give what the fused kernels give.
        using var scope = NewDisposeScope();
        manual_seed(5);
        Tensor parameters = cat(new[] { rand(4, dtype) * 1.6 - 0.8, randn(4, dtype) });
        Tensor x = (randn(new long[] { 6, 29 }, dtype) * 2).requires_grad_(true);
        Tensor xFormula = x.detach().clone().requires_grad_(true);
        Tensor pFused = parameters.clone().requires_grad_(true), pFormula = parameters.clone().requires_grad_(true);
        Tensor upstream = randn(6, 29, dtype);

        Tensor fused = TorchNormalizers.MultiMax2Function.Apply(x, pFused);
        Tensor formula = TorchNormalizers.MultiMax2Function.Formula(xFormula, pFormula);
        (fused * upstream).sum().backward();
        (formula * upstream).sum().backward();

        (double absolute, double relative) = TensorAssert.For(dtype);
        TensorAssert.Close(formula, fused, absolute, relative, "y");
        TensorAssert.Close(xFormula.grad!, x.grad!, absolute * 10, relative * 10, "dx");
        TensorAssert.Close(pFormula.grad!, pFused.grad!, absolute * 50, relative * 50, "dparameters");
    }

    [Fact]
    public void AViewThatStartsInsideItsStorageIsReadFromItsOwnStart()
    {
        // Rows 2..4 of a larger tensor: contiguous, but at an offset into the storage.
        using var scope = NewDisposeScope();
        manual_seed(6);
        Tensor parameters = cat(new[] { rand(4) * 1.6 - 0.8, randn(4) });
        Tensor rows = randn(6, 11).narrow(0, 2, 3);
        Assert.True(rows.is_contiguous());
        TensorAssert.Close(
            TorchNormalizers.MultiMax2Function.Formula(rows.clone(), parameters),
            TorchNormalizers.MultiMax2Function.Apply(rows, parameters), 2e-6, 2e-5, "y");
    }

    [Fact]
    public void AFloat32TensorOfADoubleOnlyDeclarationTakesTheFormula()
    {
        using var scope = NewDisposeScope();
        Tensor x = randn(4, 9);
        Tensor parameters = tensor(new[] { 0.3f, -0.2f });
        TensorAssert.Close(Ops.CustomFunction.Formula(x, parameters), Ops.CustomFunction.Apply(x, parameters), 0, 0, "y");
    }

    [Fact]
    public void WrongParameterCountIsRefused()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => TorchNormalizers.MultiMax2Function.Apply(randn(2, 5), zeros(7)));
        Assert.Equal("parameters", error.ParamName);
        Assert.Contains("8 values", error.Message);
    }

    [Fact]
    public void ParametersOfAnotherDtypeAreRefused()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => TorchNormalizers.MultiMax2Function.Apply(randn(2, 5), zeros(8, ScalarType.Float64)));
        Assert.Equal("parameters", error.ParamName);
    }

    [Fact]
    public void IntegerInputIsRefused()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => new TorchNormalizers.SoftMaxModule().forward(ones(2, 3, ScalarType.Int64)));
        Assert.Equal("x", error.ParamName);
    }

    [Fact]
    public void AScalarIsRefused()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => new TorchNormalizers.SoftMaxModule().forward(tensor(1.0f)));
    }

    [Fact]
    public void AnEmptyTensorGivesAnEmptyResult()
    {
        using var scope = NewDisposeScope();
        Tensor x = zeros(new long[] { 0, 5 }).requires_grad_(true);
        Tensor y = new TorchNormalizers.MultiMax2Module().forward(x);
        Assert.Equal(new long[] { 0, 5 }, y.shape);
        y.sum().backward();
        Assert.Equal(new long[] { 0, 5 }, x.grad!.shape);
    }

    [Fact]
    public void NaNPoisonsItsRowOnly()
    {
        using var scope = NewDisposeScope();
        Tensor x = randn(3, 8);
        x[1, 2] = tensor(float.NaN);
        double[] y = TensorAssert.Values(new TorchNormalizers.MultiMax2Module().forward(x));
        for (int i = 0; i < y.Length; i++)
        {
            Assert.Equal(i / 8 == 1, double.IsNaN(y[i]));
        }
    }

    [Fact]
    public void TheModuleRunsInFloat64AfterTo()
    {
        using var scope = NewDisposeScope();
        var module = new TorchNormalizers.MultiMax2Module();
        TorchSharp.ModuleExtensionMethods.to(module, ScalarType.Float64);
        Assert.Equal(ScalarType.Float64, module.ts.dtype);
        Assert.All(module.named_parameters(), p => Assert.Equal(ScalarType.Float64, p.parameter.dtype));
        Assert.Equal(ScalarType.Float64, module.forward(randn(2, 4, ScalarType.Float64)).dtype);
    }
}
