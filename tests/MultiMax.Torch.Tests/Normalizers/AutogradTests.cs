using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using MultiMax.Torch.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MultiMax.Torch.Tests.Normalizers;

/// <summary>
/// What autograd users do beyond one backward: differentiate a gradient again (gradient penalties, Hessian-vector
/// products), and make mistakes — which must be exceptions they can catch, never a dead process.
/// </summary>
public sealed class AutogradTests
{
    public static IEnumerable<object[]> Cases() => NormalizerCase.All().Select(c => new object[] { c.Name });

    /// <summary>
    /// A gradient penalty ‖∂(w·y)/∂x‖² differentiated again, to x and to every parameter, against the same through
    /// TorchSharp autograd of the reference formula (float64).
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void DoubleBackwardMatchesAutogradOfTheReferenceFormula(string name)
    {
        using var scope = NewDisposeScope();
        manual_seed(21);
        NormalizerCase normalizer = NormalizerCase.Named(name);
        nn.Module<Tensor, Tensor> module = normalizer.Create();
        module.to(ScalarType.Float64);
        NormalizerCase.Randomize(module);
        // No masks here: the reference formula (the authors' code) has none, and masks have their own tests.
        Tensor x = (randn(5, 13, ScalarType.Float64) * 2).requires_grad_(true), weights = randn(5, 13, ScalarType.Float64);

        Tensor gradient = autograd.grad(new[] { (module.forward(x) * weights).sum() }, new[] { x }, retain_graph: true, create_graph: true)[0];
        Assert.True(gradient.requires_grad, "the gradient must be differentiable again");
        (gradient * gradient).sum().backward();

        Dictionary<string, Tensor> reference = NormalizerCase.ReferenceParameters(module);
        Tensor xReference = x.detach().clone().requires_grad_(true);
        Tensor referenceGradient = autograd.grad(new[] { (normalizer.Reference(xReference, reference) * weights).sum() }, new[] { xReference }, retain_graph: true, create_graph: true)[0];
        (referenceGradient * referenceGradient).sum().backward();

        TensorAssert.Close(referenceGradient, gradient, 1e-10, 1e-8, $"{name}: the gradient");
        TensorAssert.Close(xReference.grad!, x.grad!, 1e-9, 1e-7, $"{name}: the penalty's gradient to x");
        foreach ((string parameter, TorchSharp.Modules.Parameter value) in module.named_parameters())
        {
            TensorAssert.Close(reference[parameter].grad!, value.grad!, 1e-9, 1e-7, $"{name}: the penalty's gradient to {parameter}");
        }
    }

    /// <summary>A Hessian-vector product through the fused float32 path, against the formula in float64.</summary>
    [Fact]
    public void HessianVectorProductThroughFloat32()
    {
        using var scope = NewDisposeScope();
        manual_seed(22);
        var module = new TorchNormalizers.MultiMax2Module();
        NormalizerCase.Randomize(module);
        Tensor x = randn(4, 9).requires_grad_(true), weights = randn(4, 9), direction = randn(4, 9);
        Tensor gradient = autograd.grad(new[] { (module.forward(x) * weights).sum() }, new[] { x }, retain_graph: true, create_graph: true)[0];
        Tensor hessianVector = autograd.grad(new[] { (gradient * direction).sum() }, new[] { x })[0];

        Tensor x64 = x.detach().to(ScalarType.Float64).requires_grad_(true);
        Tensor p64 = cat(new Tensor[] { module.ts, module.ranges }).detach().to(ScalarType.Float64);
        Tensor gradient64 = autograd.grad(new[] { (TorchNormalizers.MultiMax2Function.Formula(x64, p64) * weights.to(ScalarType.Float64)).sum() }, new[] { x64 }, retain_graph: true, create_graph: true)[0];
        Tensor expected = autograd.grad(new[] { (gradient64 * direction.to(ScalarType.Float64)).sum() }, new[] { x64 })[0];
        TensorAssert.Close(expected, hessianVector.to(ScalarType.Float64), 1e-5, 1e-4, "H·v");
    }

    /// <summary>
    /// Editing the output in place would make the backward's gradients wrong (it reads the output): refused at once,
    /// with PyTorch's own message, where it once ended the process inside the backward.
    /// </summary>
    [Fact]
    public void EditingTheOutputInPlaceIsACatchableError()
    {
        using var scope = NewDisposeScope();
        var module = new TorchNormalizers.MultiMax2Module();
        Tensor x = randn(3, 7).requires_grad_(true);
        Tensor y = module.forward(x);
        ExternalException error = Assert.Throws<ExternalException>(() => y.mul_(2));
        Assert.Contains("modified inplace", error.Message);

        // The output itself is fine to use, and a clone may be edited.
        Tensor edited = y.clone().mul_(2);
        edited.sum().backward();
        Assert.NotNull(x.grad);
    }

    /// <summary>
    /// An input edited in place between forward and backward makes the backward fail inside the native engine's call:
    /// the failure is kept, the engine refuses the backward's answer, and backward() throws where the caller can catch.
    /// </summary>
    [Fact]
    public void AFailingBackwardIsACatchableErrorWithItsCauseKept()
    {
        using var scope = NewDisposeScope();
        var module = new TorchNormalizers.MultiMax2Module();
        Tensor leaf = randn(3, 7).requires_grad_(true);
        Tensor x = leaf * 1;
        Tensor y = module.forward(x);
        x.add_(1);
        BackwardFailures.Clear();

        Assert.Throws<ExternalException>(() => y.sum().backward());
        BackwardFailures.Failure failure = Assert.IsType<BackwardFailures.Failure>(BackwardFailures.Last);
        Assert.Equal("MultiMax2", failure.Function);
        Assert.Contains("inplace", failure.Exception.Message);

        // The process lives on, and the next backward works.
        BackwardFailures.Clear();
        module.forward(leaf).sum().backward();
        Assert.NotNull(leaf.grad);
        Assert.Null(BackwardFailures.Last);
    }
}
