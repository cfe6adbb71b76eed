using System;
using System.Collections.Generic;
using System.Linq;
using MultiMax.Torch.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MultiMax.Torch.Tests.CrossEntropy;

/// <summary>
/// <see cref="FusedCrossEntropy.Loss"/> against the loss written with plain torch ops in float64: logits materialized
/// (matmul), the σ formula, <c>log_softmax</c>, the target picked, the mean over non-ignored tokens; autograd of that
/// gives the expected gradients of hidden, weight, bias and every parameter.
/// </summary>
public class FusedCrossEntropyTests
{
    public sealed record Shape(long Tokens, long Dim, long Vocab, bool Bias, double IgnoredFraction)
    {
        public override string ToString() => $"[{Tokens} tokens, d{Dim}, vocab {Vocab}{(Bias ? ", bias" : "")}, {IgnoredFraction:P0} ignored]";
    }

    /// <summary>One token; vocabularies that are not multiples of the 64-row blocks; ignored targets; all ignored.</summary>
    private static readonly Shape[] Shapes =
    {
        new(1, 16, 5, true, 0),
        new(37, 20, 130, true, 0.25),
        new(70, 16, 64, false, 0),
        new(9, 7, 200, true, 1),
    };

    public static IEnumerable<object[]> Cases() =>
        from name in new[] { "SoftMax", "MultiMax2", "LogMultiMax2", "MultiMaxV2", "Custom", "LogCubic", "Capped", "Tempered", "Hinged", "LogCappedMultiMax" }
        from dtype in new[] { ScalarType.Float32, ScalarType.Float64 }
        select new object[] { name, dtype };

    /// <summary>Fused for generated modules in their declared dtypes; Custom (double only) and LogCubic (float only) also take the formula path.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void LossAndGradientsMatchTheMaterializedReference(string name, ScalarType dtype)
    {
        NormalizerCase normalizer = NormalizerCase.Named(name);
        foreach (Shape shape in Shapes)
        {
            Check(normalizer, dtype, shape, createGraph: false, upstream: 1);
        }
    }

    /// <summary>The gradients are those of the mean times the upstream gradient, whatever it is.</summary>
    [Fact]
    public void AnUpstreamGradientScalesTheGradients()
    {
        Check(NormalizerCase.Named("MultiMax2"), ScalarType.Float32, Shapes[1], createGraph: false, upstream: -2.5);
    }

    /// <summary>Under create_graph the backward is autograd of the materialized formula, so it can be differentiated again.</summary>
    [Fact]
    public void DoubleBackwardWorks()
    {
        Check(NormalizerCase.Named("MultiMax2"), ScalarType.Float64, Shapes[1], createGraph: true, upstream: 1);
    }

    [Fact]
    public void AnyOtherModuleRunsOnTheMaterializedLogits()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        Tensor hidden = randn(6, 8), weight = randn(11, 8), bias = randn(11);
        Tensor targets = tensor(new long[] { 0, 3, -100, 10, 4, 4 });
        Tensor counted = targets.ne(-100);
        Tensor expected = nn.functional.cross_entropy(nn.functional.linear(hidden, weight, bias)[counted], targets[counted]);
        TensorAssert.Close(expected, FusedCrossEntropy.Loss(hidden, weight, targets, nn.Softmax(-1), bias), 1e-6, 1e-5, "softmax module");
        TensorAssert.Close(expected, FusedCrossEntropy.Loss(hidden, weight, targets, new TorchNormalizers.SoftMaxModule(), bias), 1e-6, 1e-5, "fused SoftMax");
    }

    [Fact]
    public void ParameterGradientsAreTheSameBitsOnEveryRun()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var module = new TorchNormalizers.MultiMax2Module();
        NormalizerCase.Randomize(module);
        Tensor hidden = randn(300, 64), weight = randn(1000, 64) / 8, targets = randint(1000, 300, ScalarType.Int64);
        double[] Run()
        {
            module.zero_grad();
            FusedCrossEntropy.Loss(hidden, weight, targets, module).backward();
            return module.parameters().SelectMany(p => TensorAssert.Values(p.grad!)).ToArray();
        }

        double[] first = Run();
        Assert.Equal(first, Run());
        Assert.Equal(first, Run());
    }

    [Fact]
    public void BadArgumentsAreRefusedBeforeAnythingRuns()
    {
        using var scope = NewDisposeScope();
        var module = new TorchNormalizers.MultiMax2Module();
        Tensor hidden = randn(4, 8), weight = randn(10, 8), targets = tensor(new long[] { 0, 1, 2, 3 });
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => FusedCrossEntropy.Loss(hidden, randn(10, 7), targets, module)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => FusedCrossEntropy.Loss(hidden, weight, tensor(new long[] { 0, 1, 2 }), module)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => FusedCrossEntropy.Loss(hidden, weight, targets.to(ScalarType.Int32), module)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => FusedCrossEntropy.Loss(hidden, weight, targets, module, randn(9))).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => FusedCrossEntropy.Loss(hidden, weight.to(ScalarType.Float64), targets, module)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentOutOfRangeException>(() => FusedCrossEntropy.Loss(hidden, weight, tensor(new long[] { 0, 10, 2, 3 }), module)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentOutOfRangeException>(() => FusedCrossEntropy.Loss(hidden, weight, tensor(new long[] { 0, -1, 2, 3 }), module)).ParamName);
    }

    [Fact]
    public void TheOutputLayerTrainsThroughTheFusedLossAndGivesLogProbabilities()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var layer = new OutputLayer(8, 12, NormalizerKind.MultiMax2);
        Tensor hidden = randn(2, 5, 8), targets = randint(12, new long[] { 2, 5 }, ScalarType.Int64);
        Tensor logProbabilities = layer.forward(hidden);
        Assert.Equal(new long[] { 2, 5, 12 }, logProbabilities.shape);
        TensorAssert.Close(ones(2, 5), logProbabilities.exp().sum(-1), 1e-5, 1e-5, "probabilities sum to 1");

        Tensor expected = nn.functional.nll_loss(logProbabilities.reshape(-1, 12), targets.reshape(-1));
        Tensor loss = layer.Loss(hidden, targets);
        TensorAssert.Close(expected, loss, 1e-5, 1e-5, "fused loss against the layer's own log-probabilities");
        loss.backward();
        Assert.All(layer.parameters(), p => Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0));
    }

    private static void Check(NormalizerCase normalizer, ScalarType dtype, Shape shape, bool createGraph, double upstream)
    {
        using var scope = NewDisposeScope();
        manual_seed(StableSeed.Of(shape.ToString()));
        nn.Module<Tensor, Tensor> module = normalizer.Create();
        NormalizerCase.Randomize(module);
        module.to(dtype);
        Tensor hidden = randn(shape.Tokens, shape.Dim, dtype).requires_grad_();
        Tensor weight = (randn(shape.Vocab, shape.Dim, dtype) / Math.Sqrt(shape.Dim)).requires_grad_();
        Tensor? bias = shape.Bias ? (randn(shape.Vocab, dtype) * 0.5).requires_grad_() : null;
        Tensor targets = randint(shape.Vocab, shape.Tokens, ScalarType.Int64).masked_fill(rand(shape.Tokens).lt(shape.IgnoredFraction), -100);

        Tensor loss = FusedCrossEntropy.Loss(hidden, weight, targets, module, bias) * upstream;
        var inputs = new List<Tensor> { hidden, weight };
        if (bias is not null)
        {
            inputs.Add(bias);
        }

        inputs.AddRange(module.parameters());
        IList<Tensor> gradients = autograd.grad(new[] { loss }, inputs, create_graph: createGraph);

        // The reference, from the same values in float64.
        Tensor Leaf(Tensor t) => t.detach().to(ScalarType.Float64).requires_grad_();
        Tensor hr = Leaf(hidden), wr = Leaf(weight);
        Tensor? br = bias is null ? null : Leaf(bias);
        Dictionary<string, Tensor> parameters = NormalizerCase.ReferenceParameters(module);
        Tensor expected = ReferenceLoss(normalizer, parameters, hr, wr, br, targets) * upstream;
        var referenceInputs = new List<Tensor> { hr, wr };
        if (br is not null)
        {
            referenceInputs.Add(br);
        }

        referenceInputs.AddRange(module.named_parameters().Select(p => parameters[p.name]));
        IList<Tensor> expectedGradients = autograd.grad(new[] { expected }, referenceInputs);

        (double absolute, double relative) = TensorAssert.For(dtype);
        string what = $"{normalizer.Name} {dtype} {shape}";
        Assert.Equal(dtype, loss.dtype);
        TensorAssert.Close(expected, loss, absolute, relative, what + " loss");
        string[] names = new[] { "hidden", "weight" }.Concat(bias is null ? [] : new[] { "bias" }).Concat(module.named_parameters().Select(p => p.name)).ToArray();
        for (int i = 0; i < names.Length; i++)
        {
            double magnitude = 1 + expectedGradients[i].abs().max().item<double>();
            TensorAssert.Close(expectedGradients[i], gradients[i], absolute * 10 * magnitude, relative * 10, $"{what} d{names[i]}");
        }

        if (createGraph)
        {
            // A second derivative reaches the parameters.
            autograd.grad(new[] { gradients[0].pow(2).sum() }, module.parameters().ToArray<Tensor>(), allow_unused: true);
        }
    }

    /// <summary>−log_softmax(σ(h·Wᵀ + b))[target], averaged over the non-ignored tokens (0 with none).</summary>
    private static Tensor ReferenceLoss(
        NormalizerCase normalizer, IReadOnlyDictionary<string, Tensor> parameters, Tensor hidden, Tensor weight, Tensor? bias, Tensor targets)
    {
        Tensor logits = matmul(hidden, weight.t());
        if (bias is not null)
        {
            logits = logits + bias;
        }

        Tensor logProbabilities = nn.functional.log_softmax(normalizer.Sigma(logits, parameters), -1);
        Tensor counted = targets.ne(-100);
        Tensor picked = logProbabilities.gather(1, targets.masked_fill(counted.logical_not(), 0).unsqueeze(1)).squeeze(1);
        Tensor total = -(picked * counted.to(ScalarType.Float64)).sum();
        return total / counted.sum().clamp_min(1).to(ScalarType.Float64);
    }
}
