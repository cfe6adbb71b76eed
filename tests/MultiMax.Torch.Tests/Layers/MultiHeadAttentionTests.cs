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

    /// <summary>
    /// A prefill and then one token at a time through a <see cref="KeyValueCache"/> (bottom-right alignment) give what one
    /// causal call over the whole sequence gives, with grouped key/value heads, a window and sinks.
    /// </summary>
    [Theory]
    [InlineData(NormalizerKind.SoftMax)]
    [InlineData(NormalizerKind.MultiMax2)]
    public void DecodingWithACacheMatchesOneCausalCall(NormalizerKind kind)
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        var attention = new MultiHeadAttention(32, 8, kind, keyValueHeads: 2, window: (5, 0), sinks: true);
        using (no_grad())
        {
            attention.Sinks!.copy_(randn(8));
            foreach ((string name, TorchSharp.Modules.Parameter parameter) in attention.named_parameters().Where(p => p.name.StartsWith("normalizer.")))
            {
                parameter.copy_(randn_like(parameter) * 0.3);
            }
        }

        Tensor x = randn(2, 11, 32);
        Tensor expected = attention.forward(x, null, causal: true);
        using var cache = new KeyValueCache();
        var steps = new List<Tensor> { attention.Decode(x[.., ..7], cache) };
        for (int t = 7; t < 11; t++)
        {
            steps.Add(attention.Decode(x[.., t..(t + 1)], cache));
        }

        Assert.Equal(11, cache.Length);
        TensorAssert.Close(expected, cat(steps, 1), 1e-5, 1e-4, "decoded");

        // A bias that does not fit the keys the cache would hold is refused before the cache grows.
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => attention.Decode(x[.., ..1], cache, randn(8, 1, 3))).ParamName);
        Assert.Equal(11, cache.Length);
    }

    /// <summary>Attend (materialized, with weights) gives forward's output with every option, and weights that sum to 1 less the sinks' share.</summary>
    [Fact]
    public void AttendMatchesForwardWithEveryOption()
    {
        using var scope = NewDisposeScope();
        manual_seed(9);
        var attention = new MultiHeadAttention(32, 8, NormalizerKind.MultiMax2, keyValueHeads: 2, window: (3, 1), sinks: true);
        using (no_grad())
        {
            attention.Sinks!.copy_(randn(8));
        }

        Tensor x = randn(2, 9, 32), bias = randn(8, 9, 9) * 0.5;
        Tensor? keyPadding = tensor(new[] { false, false, false, false, false, false, false, true, true }).view(1, 9).expand(2, 9);
        (Tensor output, Tensor weights) = attention.Attend(x, keyPadding, causal: true, bias);
        TensorAssert.Close(attention.forward(x, keyPadding, causal: true, bias), output, 1e-5, 1e-4, "output");
        Assert.True(weights.sum(-1).le(1 + 1e-6).all().item<bool>(), "a row's weights leave the sink its share");
        Assert.All(TensorAssert.Values(weights[.., .., .., 7..9]), w => Assert.Equal(0, w));
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => attention.Attend(x, null, false, randn(3, 9, 9))).ParamName);
    }

    [Fact]
    public void GroupedHeadsAndSinksTrain()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var attention = new MultiHeadAttention(16, 4, NormalizerKind.MultiMax2, keyValueHeads: 1, sinks: true);
        Assert.Equal(new long[] { 4 }, attention.Sinks!.shape);
        Assert.Equal(new long[] { 4, 16 }, attention.named_parameters().Single(p => p.name == "key.weight").parameter.shape);
        attention.forward(randn(3, 6, 16), null, causal: true, bias: randn(4, 6, 6)).square().sum().backward();
        Dictionary<string, Tensor> gradients = attention.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        Assert.Contains("sinks", gradients.Keys);
        Assert.All(gradients, g => Assert.True(g.Value.abs().sum().item<float>() > 0, $"{g.Key} got no gradient"));
    }

    [Fact]
    public void BadShapesAreRefused()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => new MultiHeadAttention(10, 4));
        Assert.Equal("keyValueHeads", Assert.Throws<ArgumentException>(() => new MultiHeadAttention(8, 4, keyValueHeads: 3)).ParamName);
        Assert.Equal("window", Assert.Throws<ArgumentOutOfRangeException>(() => new MultiHeadAttention(8, 4, window: (-1, 0))).ParamName);
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
