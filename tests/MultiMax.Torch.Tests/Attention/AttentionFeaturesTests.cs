using System;
using System.Collections.Generic;
using System.Linq;
using MultiMax.Torch.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MultiMax.Torch.Tests.Attention;

/// <summary>
/// Grouped-query heads, bottom-right alignment, sliding windows, a broadcast bias and sinks through
/// <see cref="FusedAttention.ScaledDotProduct"/>, alone and combined, against attention written with plain torch ops in
/// float64: <c>repeat_interleave</c> for the key/value heads, −∞ masks built key by key from the alignment and the
/// window, the bias added before σ, the sink as one more SoftMax column that is dropped; autograd of that gives the
/// expected gradients of query, key, value, bias, sinks and every parameter.
/// </summary>
public class AttentionFeaturesTests
{
    public sealed record Case(
        long Batch, long Heads, long KeyValueHeads, long Queries, long Keys, long HeadSize,
        bool Causal = false, CausalAlignment Alignment = CausalAlignment.TopLeft, (int Left, int Right)? Window = null,
        long[]? BiasShape = null, bool Sinks = false, bool Padding = false)
    {
        public override string ToString() =>
            $"[{Batch}×{Heads}/{KeyValueHeads}, {Queries}q × {Keys}k, d{HeadSize}{(Causal ? ", causal" : "")}, {Alignment}, window {Window?.ToString() ?? "none"}, " +
            $"bias {(BiasShape is null ? "none" : "[" + string.Join(", ", BiasShape) + "]")}, sinks {Sinks}{(Padding ? ", padded" : "")}]";
    }

    private static readonly Case[] Cases =
    {
        new(2, 6, 2, 70, 67, 16),
        new(1, 4, 1, 3, 130, 20, Causal: true, Alignment: CausalAlignment.BottomRight),
        new(1, 2, 2, 70, 130, 16, Causal: true, Alignment: CausalAlignment.BottomRight),
        new(1, 2, 1, 150, 150, 16, Causal: true, Window: (20, 0)),
        new(1, 1, 1, 40, 40, 16, Window: (3, 5)),
        new(1, 1, 1, 20, 20, 16, Window: (1000, 1000)),
        new(1, 2, 2, 30, 30, 16, Causal: true, Window: (0, 0)),
        new(2, 3, 3, 40, 37, 16, BiasShape: new long[] { 2, 3, 40, 37 }),
        new(3, 2, 2, 20, 30, 16, BiasShape: new long[] { 2, 20, 30 }, Causal: true),      // shared by the batch, 3-D
        new(2, 2, 2, 9, 30, 16, BiasShape: new long[] { 2, 1, 1, 30 }, Padding: true),  // per key: a soft padding mask
        new(2, 3, 3, 33, 40, 16, Sinks: true),
        new(2, 2, 1, 5, 9, 16, Sinks: true, Padding: true),
        new(1, 1, 1, 20, 9, 16, Causal: true, Alignment: CausalAlignment.BottomRight, Sinks: true), // early queries see only the sink
        new(2, 4, 2, 40, 90, 16, Causal: true, Alignment: CausalAlignment.BottomRight, Window: (30, 0),
            BiasShape: new long[] { 4, 40, 90 }, Sinks: true, Padding: true),
    };

    public static IEnumerable<object[]> Normalizers() =>
        from name in new[] { "SoftMax", "MultiMax2", "LogMultiMax2", "Custom" }
        from dtype in new[] { ScalarType.Float32, ScalarType.Float64 }
        select new object[] { name, dtype };

    /// <summary>Fused for generated modules in their declared dtypes; Custom (double only) also takes the materialized path in float32.</summary>
    [Theory]
    [MemberData(nameof(Normalizers))]
    public void OutputAndGradientsMatchTheReference(string name, ScalarType dtype)
    {
        NormalizerCase normalizer = NormalizerCase.Named(name);
        foreach (Case c in Cases)
        {
            Check(normalizer, dtype, c, createGraph: false);
        }
    }

    [Fact]
    public void DoubleBackwardWorksWithEveryFeature()
    {
        Check(NormalizerCase.Named("MultiMax2"), ScalarType.Float64, Cases[^1], createGraph: true);
    }

    /// <summary>A module that is not generated gets the sink as one more column of its input, dropped from its output.</summary>
    [Fact]
    public void AnyOtherModuleSeesTheSinkAsOneMoreColumn()
    {
        using var scope = NewDisposeScope();
        manual_seed(8);
        Tensor q = randn(1, 2, 5, 16), k = randn(1, 2, 7, 16), v = randn(1, 2, 7, 16), sinks = randn(2);
        Tensor scores = matmul(q, k.transpose(-2, -1)) / 4;
        Tensor column = sinks.view(1, 2, 1, 1).expand(1, 2, 5, 1);
        Tensor expected = matmul(nn.functional.softmax(cat(new[] { scores, column }, -1), -1).narrow(-1, 0, 7), v);
        TensorAssert.Close(expected, FusedAttention.ScaledDotProduct(q, k, v, nn.Softmax(-1), sinks: sinks), 1e-6, 1e-5, "softmax module with sinks");
    }

    /// <summary>With threads, the key/value, bias and sink gradients summed over groups and the batch are the same bits on every run.</summary>
    [Fact]
    public void GradientsAreTheSameBitsOnEveryRun()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var module = new TorchNormalizers.MultiMax2Module();
        NormalizerCase.Randomize(module);
        Tensor q = randn(4, 8, 128, 32).requires_grad_(), k = randn(4, 2, 128, 32).requires_grad_(), v = randn(4, 2, 128, 32).requires_grad_();
        Tensor bias = randn(8, 128, 128).requires_grad_(), sinks = randn(8).requires_grad_(), dO = randn(4, 8, 128, 32);
        double[] Run()
        {
            IList<Tensor> gradients = autograd.grad(
                new[] { (FusedAttention.ScaledDotProduct(q, k, v, module, causal: true, bias: bias, sinks: sinks, window: (40, 0)) * dO).sum() },
                new[] { q, k, v, bias, sinks }.Concat(module.parameters()).ToArray());
            return gradients.SelectMany(TensorAssert.Values).ToArray();
        }

        double[] first = Run();
        Assert.Equal(first, Run());
        Assert.Equal(first, Run());
    }

    [Fact]
    public void BadFeaturesAreRefusedBeforeAnythingRuns()
    {
        using var scope = NewDisposeScope();
        var module = new TorchNormalizers.MultiMax2Module();
        Tensor q = randn(1, 6, 5, 16), k = randn(1, 4, 7, 16);
        Assert.Equal("key", Assert.Throws<ArgumentException>(() => FusedAttention.ScaledDotProduct(q, k, k, module)).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentException>(() => FusedAttention.ScaledDotProduct(randn(1, 2, 5, 16), k, k, module)).ParamName);
        Tensor k3 = randn(1, 3, 7, 16);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => FusedAttention.ScaledDotProduct(q, k3, k3, module, bias: randn(6, 5, 6))).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => FusedAttention.ScaledDotProduct(q, k3, k3, module, bias: randn(new long[] { 2, 1, 6, 5, 7 }))).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => FusedAttention.ScaledDotProduct(q, k3, k3, module, bias: ones(5, 7, ScalarType.Bool))).ParamName);
        Assert.Equal("sinks", Assert.Throws<ArgumentException>(() => FusedAttention.ScaledDotProduct(q, k3, k3, module, sinks: randn(3))).ParamName);
        Assert.Equal("window", Assert.Throws<ArgumentOutOfRangeException>(() => FusedAttention.ScaledDotProduct(q, k3, k3, module, window: (2, -1))).ParamName);
        Assert.Equal("alignment", Assert.Throws<ArgumentOutOfRangeException>(() => FusedAttention.ScaledDotProduct(q, k3, k3, module, alignment: (CausalAlignment)3)).ParamName);
    }

    private static void Check(NormalizerCase normalizer, ScalarType dtype, Case c, bool createGraph)
    {
        using var scope = NewDisposeScope();
        manual_seed(StableSeed.Of(c.ToString()));
        nn.Module<Tensor, Tensor> module = normalizer.Create();
        NormalizerCase.Randomize(module);
        module.to(dtype);
        Tensor q = randn(c.Batch, c.Heads, c.Queries, c.HeadSize, dtype).requires_grad_();
        Tensor k = randn(c.Batch, c.KeyValueHeads, c.Keys, c.HeadSize, dtype).requires_grad_();
        Tensor v = randn(c.Batch, c.KeyValueHeads, c.Keys, c.HeadSize, dtype).requires_grad_();
        Tensor dO = randn(c.Batch, c.Heads, c.Queries, c.HeadSize, dtype);
        Tensor? bias = c.BiasShape is null ? null : (randn(c.BiasShape, dtype) * 0.5).requires_grad_();
        Tensor? sinks = c.Sinks ? randn(c.Heads, dtype).requires_grad_() : null;
        Tensor? mask = c.Padding ? rand(c.Batch, c.Keys).lt(0.3) : null;
        if (mask is not null && c.Batch > 1)
        {
            mask[c.Batch - 1] = ones(c.Keys, ScalarType.Bool); // the last sequence is all padding: its queries see only sinks
        }

        Tensor output = FusedAttention.ScaledDotProduct(q, k, v, module, mask, c.Causal, bias: bias, sinks: sinks, window: c.Window, alignment: c.Alignment);
        var inputs = new List<Tensor> { q, k, v };
        var names = new List<string> { "query", "key", "value" };
        if (bias is not null)
        {
            inputs.Add(bias);
            names.Add("bias");
        }

        if (sinks is not null)
        {
            inputs.Add(sinks);
            names.Add("sinks");
        }

        inputs.AddRange(module.parameters());
        names.AddRange(module.named_parameters().Select(p => p.name));
        IList<Tensor> gradients = autograd.grad(new[] { (output * dO).sum() }, inputs, create_graph: createGraph);

        // The reference, from the same values in float64.
        Tensor Leaf(Tensor t) => t.detach().to(ScalarType.Float64).requires_grad_();
        Tensor qr = Leaf(q), kr = Leaf(k), vr = Leaf(v);
        Tensor? br = bias is null ? null : Leaf(bias), sr = sinks is null ? null : Leaf(sinks);
        Dictionary<string, Tensor> parameters = NormalizerCase.ReferenceParameters(module);
        Tensor expected = ReferenceAttention(normalizer, parameters, qr, kr, vr, mask, c, br, sr);
        var referenceInputs = new List<Tensor> { qr, kr, vr };
        referenceInputs.AddRange(new[] { br, sr }.Where(t => t is not null)!);
        referenceInputs.AddRange(module.named_parameters().Select(p => parameters[p.name]));
        IList<Tensor> expectedGradients = autograd.grad(new[] { (expected * dO.to(ScalarType.Float64)).sum() }, referenceInputs, allow_unused: true);

        (double absolute, double relative) = TensorAssert.For(dtype);
        string what = $"{normalizer.Name} {dtype} {c}";
        double valueMagnitude = 1 + v.abs().max().ToDouble();
        TensorAssert.Close(expected, output, absolute * valueMagnitude, relative, what + " output");
        for (int i = 0; i < names.Count; i++)
        {
            Tensor expectedGradient = expectedGradients[i] is { IsInvalid: false } g ? g : zeros_like(referenceInputs[i]);
            double magnitude = 1 + expectedGradient.abs().max().item<double>();
            TensorAssert.Close(expectedGradient, gradients[i], absolute * 10 * magnitude, relative * 10, $"{what} d{names[i]}");
        }

        if (createGraph)
        {
            // A second derivative reaches the bias, the sinks and the parameters.
            autograd.grad(new[] { gradients[0].pow(2).sum() }, inputs.Skip(3).ToArray(), allow_unused: true);
        }
    }

    /// <summary>
    /// softmax over [σ(scores) at the visible keys, the sink] (σ evaluated only at visible keys), the sink's column
    /// dropped, 0 for a query that sees nothing, times V; scores = scale·q·k + bias with the key/value heads repeated.
    /// </summary>
    private static Tensor ReferenceAttention(
        NormalizerCase normalizer, IReadOnlyDictionary<string, Tensor> parameters, Tensor q, Tensor k, Tensor v, Tensor? padding, Case c,
        Tensor? bias, Tensor? sinks)
    {
        long batch = c.Batch, queries = c.Queries, keys = c.Keys, group = c.Heads / c.KeyValueHeads;
        k = k.repeat_interleave(group, dim: 1);
        v = v.repeat_interleave(group, dim: 1);
        Tensor scores = matmul(q, k.transpose(-2, -1)) / Math.Sqrt(c.HeadSize);
        if (bias is not null)
        {
            scores = scores + bias;
        }

        // Which keys each query sees, decided key by key.
        var hidden = new bool[queries * keys];
        for (long i = 0; i < queries; i++)
        {
            long aligned = i + (c.Alignment == CausalAlignment.BottomRight ? keys - queries : 0);
            for (long j = 0; j < keys; j++)
            {
                hidden[i * keys + j] = (c.Causal && j > aligned) || (c.Window is { } w && (j < aligned - w.Left || j > aligned + w.Right));
            }
        }

        Tensor masked = tensor(hidden).view(1, 1, queries, keys).logical_or(scores.eq(double.NegativeInfinity));
        if (padding is not null)
        {
            masked = masked.logical_or(padding.view(batch, 1, 1, keys));
        }

        masked = masked.expand_as(scores);
        Tensor sigma = normalizer.Sigma(scores.masked_fill(masked, 0), parameters).masked_fill(masked, double.NegativeInfinity);
        if (sinks is not null)
        {
            Tensor column = sinks.view(1, c.Heads, 1, 1).expand(batch, c.Heads, queries, 1);
            Tensor weightsWithSink = nn.functional.softmax(cat(new[] { sigma, column }, -1), -1);
            return matmul(weightsWithSink.narrow(-1, 0, keys), v);
        }

        Tensor rowMasked = masked.all(-1, keepdim: true);
        Tensor weights = nn.functional.softmax(sigma.masked_fill(rowMasked, 0), -1).masked_fill(rowMasked, 0);
        return matmul(weights, v);
    }
}
