using System;
using System.Linq;
using MultiMax.Torch.Tests.Reference;
using MultiMax.Torch.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace MultiMax.Torch.Tests.Layers;

/// <summary>The MultiMax output loss against nll_loss of the reference LogSoftMax(σ) built from torch ops.</summary>
public sealed class MultiMaxNllLossTests
{
    [Fact]
    public void LossAndGradientsMatchTheReference()
    {
        using var scope = NewDisposeScope();
        manual_seed(8);
        var loss = new MultiMaxNllLoss();
        NormalizerCase.Randomize(loss.LogNormalizer);
        Tensor logits = (randn(6, 11) * 2).requires_grad_(true);
        Tensor targets = randint(0, 11, new long[] { 6 });

        Tensor value = loss.forward(logits, targets);
        value.backward();

        var parameters = NormalizerCase.ReferenceParameters(loss.LogNormalizer);
        Tensor referenceLogits = logits.detach().to(ScalarType.Float64).requires_grad_(true);
        Tensor sigma = ReferenceFormula.Sigma(referenceLogits, ReferenceFormula.OrderTerms(2, parameters["ts"], parameters["ranges"]));
        Tensor expected = nn.functional.nll_loss(nn.functional.log_softmax(sigma, -1), targets);
        expected.backward();

        TensorAssert.Close(expected, value, 1e-6, 1e-5, "loss");
        TensorAssert.Close(referenceLogits.grad!, logits.grad!, 1e-6, 1e-5, "dlogits");
        TensorAssert.Close(parameters["ts"].grad!, loss.LogNormalizer.named_parameters().Single(p => p.name == "ts").parameter.grad!, 1e-5, 1e-4, "dts");
    }

    /// <summary>A generated module that gives probabilities would make nll_loss silently wrong: it is refused, naming the fix.</summary>
    [Fact]
    public void AProbabilitiesNormalizerIsRefused()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => new MultiMaxNllLoss(new TorchNormalizers.MultiMax2Module()));
        Assert.Equal("logNormalizer", error.ParamName);
        Assert.Contains("LogMultiMax2Module", error.Message);
        Assert.NotNull(new MultiMaxNllLoss(new TorchNormalizers.LogMultiMaxV2Module()));
    }

    [Fact]
    public void MismatchedTargetsAreRefused()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => new MultiMaxNllLoss().forward(randn(4, 3), zeros(5, ScalarType.Int64)));
        Assert.Equal("targets", error.ParamName);
    }
}
