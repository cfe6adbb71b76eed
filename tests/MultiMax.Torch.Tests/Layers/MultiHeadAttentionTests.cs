using System;
using System.Collections.Generic;
using System.Linq;
using MultiMax.Torch.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace MultiMax.Torch.Tests.Layers;

/// <summary>The attention layer against attention written out in plain torch ops with SoftMax.</summary>
public sealed class MultiHeadAttentionTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void WithZeroMultiMaxParametersItIsSoftMaxAttention(bool padding, bool causal)
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var attention = new MultiHeadAttention(16, 4, NormalizerKind.MultiMax2);
        using (no_grad())
        {
            foreach ((string name, TorchSharp.Modules.Parameter parameter) in attention.named_parameters().Where(p => p.name.StartsWith("normalizer.")))
            {
                parameter.zero_();
            }
        }

        Tensor x = randn(2, 5, 16);
        Tensor? keyPadding = padding ? tensor(new[] { false, false, false, true, true, false, false, false, false, true }).view(2, 5) : null;

        (Tensor output, Tensor weights) = attention.Attend(x, keyPadding, causal);
        (Tensor expectedOutput, Tensor expectedWeights) = PlainSoftMaxAttention(attention, x, keyPadding, causal, heads: 4);

        TensorAssert.Close(expectedWeights, weights, 1e-6, 1e-5, "weights");
        TensorAssert.Close(expectedOutput, output, 1e-5, 1e-4, "output");
        if (padding)
        {
            // Padded keys get exactly zero weight from every query of every head.
            Assert.All(TensorAssert.Values(weights[0, .., .., 3..5]), w => Assert.Equal(0, w));
        }
    }

    [Fact]
    public void ItTrainsThroughTheNormalizer()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var attention = new MultiHeadAttention(8, 2, NormalizerKind.MultiMaxV2);
        Tensor x = randn(3, 4, 8);
        attention.forward(x, null, causal: true).square().sum().backward();
        Dictionary<string, Tensor> gradients = attention.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        Assert.Contains("normalizer.ts", gradients.Keys);
        Assert.All(gradients, g => Assert.True(g.Value.abs().sum().item<float>() > 0, $"{g.Key} got no gradient"));
    }

    [Fact]
    public void BadShapesAreRefused()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => new MultiHeadAttention(10, 4));
        var attention = new MultiHeadAttention(8, 2);
        Assert.Throws<ArgumentException>(() => attention.forward(randn(4, 8)));
        Assert.Throws<ArgumentException>(() => attention.forward(randn(2, 4, 8), ones(2, 5, ScalarType.Bool)));
    }

    private static (Tensor Output, Tensor Weights) PlainSoftMaxAttention(
        MultiHeadAttention attention, Tensor x, Tensor? keyPadding, bool causal, int heads)
    {
        Dictionary<string, Tensor> p = attention.named_parameters().ToDictionary(e => e.name, e => (Tensor)e.parameter.detach());
        long batch = x.shape[0], length = x.shape[1], width = x.shape[2], size = width / heads;
        Tensor Project(string name, Tensor input) => matmul(input, p[name + ".weight"].t()) + p[name + ".bias"];
        Tensor Split(Tensor t) => t.view(batch, length, heads, size).transpose(1, 2);

        Tensor scores = matmul(Split(Project("query", x)), Split(Project("key", x)).transpose(-2, -1)) / Math.Sqrt(size);
        if (keyPadding is not null)
        {
            scores = scores.masked_fill(keyPadding.view(batch, 1, 1, length), double.NegativeInfinity);
        }

        if (causal)
        {
            scores = scores.masked_fill(ones(length, length, ScalarType.Bool).triu(1), double.NegativeInfinity);
        }

        Tensor weights = nn.functional.softmax(scores, -1);
        Tensor attended = matmul(weights, Split(Project("value", x))).transpose(1, 2).reshape(batch, length, width);
        return (Project("output", attended), weights);
    }
}
