using System;
using System.Collections.Generic;
using System.Linq;
using MultiMax.Torch.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MultiMax.Torch.Tests.Attention;

/// <summary>
/// <see cref="FusedAttention.ScaledDotProduct"/> against attention written with plain torch ops in float64: scores
/// materialized, masked to −∞ after σ (σ never sees them), SoftMax, fully masked queries 0; autograd of that gives the
/// expected gradients of query, key, value and every parameter.
/// </summary>
public class FusedAttentionTests
{
    public enum Padding
    {
        None,
        SomeKeys,
        LastSequence,
    }

    public sealed record Shape(long Batch, long Heads, long Queries, long Keys, long HeadSize, bool Causal, Padding Padding)
    {
        public override string ToString() => $"[{Batch}×{Heads}, {Queries}q × {Keys}k, d{HeadSize}{(Causal ? ", causal" : "")}, {Padding}]";
    }

    private static readonly Shape[] Shapes =
    {
        new(1, 1, 1, 1, 16, false, Padding.None),
        new(2, 2, 70, 67, 16, false, Padding.SomeKeys),
        new(1, 2, 65, 130, 64, true, Padding.None),
        new(2, 1, 33, 40, 128, true, Padding.SomeKeys),
        new(2, 2, 5, 9, 16, false, Padding.LastSequence),
    };

    public static IEnumerable<object[]> Cases() =>
        from name in new[] { "SoftMax", "MultiMax2", "LogMultiMax2", "MultiMaxV2", "Custom", "LogCubic", "Capped", "Tempered", "Hinged", "LogCappedMultiMax" }
        from dtype in new[] { ScalarType.Float32, ScalarType.Float64 }
        select new object[] { name, dtype };

    /// <summary>Fused for generated modules in their declared dtypes; Custom (double only) and LogCubic (float only) also take the materialized path.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void OutputAndGradientsMatchTheMaterializedReference(string name, ScalarType dtype)
    {
        NormalizerCase normalizer = NormalizerCase.Named(name);
        foreach (Shape shape in Shapes)
        {
            Check(normalizer, dtype, shape, createGraph: false);
        }
    }

    /// <summary>Under create_graph the backward is autograd of the materialized formula, so it can be differentiated again.</summary>
    [Fact]
    public void DoubleBackwardWorks()
    {
        NormalizerCase normalizer = NormalizerCase.Named("MultiMax2");
        Check(normalizer, ScalarType.Float64, Shapes[3], createGraph: true);
    }

    [Fact]
    public void AnyOtherModuleRunsOnTheMaterializedScores()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        Tensor q = randn(1, 2, 5, 16), k = randn(1, 2, 7, 16), v = randn(1, 2, 7, 16);
        Tensor expected = nn.functional.scaled_dot_product_attention(q, k, v);
        Tensor actual = FusedAttention.ScaledDotProduct(q, k, v, nn.Softmax(-1));
        TensorAssert.Close(expected, actual, 1e-6, 1e-5, "softmax module");
    }

    [Fact]
    public void ParameterGradientsAreTheSameBitsOnEveryRun()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var module = new TorchNormalizers.MultiMax2Module();
        NormalizerCase.Randomize(module);
        Tensor q = randn(1, 4, 256, 32), k = randn(1, 4, 256, 32), v = randn(1, 4, 256, 32), dO = randn(1, 4, 256, 32);
        double[] Run()
        {
            module.zero_grad();
            (FusedAttention.ScaledDotProduct(q, k, v, module) * dO).sum().backward();
            return module.parameters().SelectMany(p => TensorAssert.Values(p.grad!)).ToArray();
        }

        double[] first = Run();
        Assert.Equal(first, Run());
        Assert.Equal(first, Run());
    }

    [Fact]
    public void BadShapesAreRefusedBeforeAnythingRuns()
    {
        using var scope = NewDisposeScope();
        var module = new TorchNormalizers.MultiMax2Module();
        Tensor q = randn(1, 2, 5, 16), k = randn(1, 2, 7, 16);
        Assert.Equal("key", Assert.Throws<ArgumentException>(() => FusedAttention.ScaledDotProduct(q, k, randn(1, 2, 6, 16), module)).ParamName);
        Assert.Equal("query", Assert.Throws<ArgumentException>(() => FusedAttention.ScaledDotProduct(randn(2, 5, 16), k, k, module)).ParamName);
        Assert.Equal("keyPaddingMask", Assert.Throws<ArgumentException>(() => FusedAttention.ScaledDotProduct(q, k, k, module, zeros(1, 5, ScalarType.Bool))).ParamName);
        Assert.Equal("query", Assert.Throws<ArgumentException>(() => FusedAttention.ScaledDotProduct(q, k.to(ScalarType.Float64), k, module)).ParamName);
        Assert.Equal("scale", Assert.Throws<ArgumentOutOfRangeException>(() => FusedAttention.ScaledDotProduct(q, k, k, module, scale: double.NaN)).ParamName);
    }

    private static void Check(NormalizerCase normalizer, ScalarType dtype, Shape shape, bool createGraph)
    {
        using var scope = NewDisposeScope();
        manual_seed(StableSeed.Of(shape.ToString()));
        nn.Module<Tensor, Tensor> module = normalizer.Create();
        NormalizerCase.Randomize(module);
        module.to(dtype);
        Tensor q = randn(shape.Batch, shape.Heads, shape.Queries, shape.HeadSize, dtype).requires_grad_();
        Tensor k = randn(shape.Batch, shape.Heads, shape.Keys, shape.HeadSize, dtype).requires_grad_();
        Tensor v = randn(shape.Batch, shape.Heads, shape.Keys, shape.HeadSize, dtype).requires_grad_();
        Tensor dO = randn(shape.Batch, shape.Heads, shape.Queries, shape.HeadSize, dtype);
        Tensor? mask = shape.Padding switch
        {
            Padding.None => null,
            Padding.SomeKeys => rand(shape.Batch, shape.Keys).lt(0.3),
            _ => arange(shape.Batch * shape.Keys).ge((shape.Batch - 1) * shape.Keys).view(shape.Batch, shape.Keys),
        };

        Tensor output = FusedAttention.ScaledDotProduct(q, k, v, module, mask, shape.Causal);
        var inputs = new List<Tensor> { q, k, v };
        inputs.AddRange(module.parameters());
        IList<Tensor> gradients = autograd.grad(new[] { (output * dO).sum() }, inputs, create_graph: createGraph);

        // The reference, from the same values in float64.
        Tensor Leaf(Tensor t) => t.detach().to(ScalarType.Float64).requires_grad_();
        Tensor qr = Leaf(q), kr = Leaf(k), vr = Leaf(v);
        Dictionary<string, Tensor> parameters = NormalizerCase.ReferenceParameters(module);
        Tensor expected = ReferenceAttention(normalizer, parameters, qr, kr, vr, mask, shape.Causal);
        var referenceInputs = new List<Tensor> { qr, kr, vr };
        referenceInputs.AddRange(module.named_parameters().Select(p => parameters[p.name]));
        IList<Tensor> expectedGradients = autograd.grad(new[] { (expected * dO.to(ScalarType.Float64)).sum() }, referenceInputs);

        (double absolute, double relative) = TensorAssert.For(dtype);
        string what = $"{normalizer.Name} {dtype} {shape}";
        // The output averages rows of v, so its rounding scales with |v| and not with the average, which can cancel
        // to near 0 (a steep σ, such as LogCubic's cubic term, amplifies float32 score rounding into the weights).
        double valueMagnitude = 1 + v.abs().max().ToDouble();
        TensorAssert.Close(expected, output, absolute * valueMagnitude, relative, what + " output");
        string[] names = new[] { "query", "key", "value" }.Concat(module.named_parameters().Select(p => p.name)).ToArray();
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

    /// <summary>softmax(σ(scores)) over the visible keys (σ evaluated only there), 0 for a query that sees none, times V.</summary>
    private static Tensor ReferenceAttention(
        NormalizerCase normalizer, IReadOnlyDictionary<string, Tensor> parameters, Tensor q, Tensor k, Tensor v, Tensor? padding, bool causal)
    {
        long batch = q.shape[0], queries = q.shape[2], keys = k.shape[2];
        Tensor scores = matmul(q, k.transpose(-2, -1)) / Math.Sqrt(q.shape[3]);
        Tensor masked = zeros(batch, 1, queries, keys, ScalarType.Bool);
        if (padding is not null)
        {
            masked = masked.logical_or(padding.view(batch, 1, 1, keys));
        }

        if (causal)
        {
            masked = masked.logical_or(ones(queries, keys, ScalarType.Bool).triu(1));
        }

        masked = masked.expand_as(scores);
        Tensor rowMasked = masked.all(-1, keepdim: true);
        Tensor sigma = normalizer.Sigma(scores.masked_fill(masked, 0), parameters).masked_fill(masked, double.NegativeInfinity).masked_fill(rowMasked, 0);
        Tensor weights = nn.functional.softmax(sigma, -1).masked_fill(rowMasked, 0);
        return matmul(weights, v);
    }
}
