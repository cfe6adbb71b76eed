using System;
using System.Linq;
using MultiMax.Torch.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace MultiMax.Torch.Tests.Attention;

/// <summary>
/// What a hostile but realistic user gives the Torch operators and layers: huge head sizes and dims, masks of the
/// wrong dtype, scores that overflow to −∞, NaN in padding rows, empty extents, out-of-range scales and replaced
/// parameters. Each is either the materialized formula's result or an <see cref="ArgumentException"/> naming the
/// argument the caller passed.
/// </summary>
public sealed class HostileInputTests
{
    /// <summary>
    /// A head size past the fused kernels' limit runs on the materialized path (where a 33 554 433-wide head once made
    /// the fused kernels write out of bounds): with one key, every query's output is that key's value.
    /// </summary>
    [Fact]
    public void AHeadSizeBeyondTheFusedLimitRunsMaterialized()
    {
        using var scope = NewDisposeScope();
        var module = new TorchNormalizers.MultiMax2Module();
        Tensor q = ones(1, 1, 2, AttentionShape.MaxHeadSize + 1).requires_grad_(), k = ones(1, 1, 1, AttentionShape.MaxHeadSize + 1);
        Tensor v = randn(1, 1, 1, AttentionShape.MaxHeadSize + 1);
        Tensor output = FusedAttention.ScaledDotProduct(q, k, v, module);
        TensorAssert.Close(v.expand(1, 1, 2, -1), output, 0, 0, "output");
        output.sum().backward();
        Assert.Equal(q.shape, q.grad!.shape);
    }

    /// <summary>
    /// A mask that is not Bool is refused, not cast: a Hugging Face attention_mask (int64, 1 = a real token) cast to
    /// Bool would mark every real key as padding and give all-zero outputs; a float mask of 0.5 likewise.
    /// </summary>
    [Fact]
    public void AKeyPaddingMaskMustBeBool()
    {
        using var scope = NewDisposeScope();
        var module = new TorchNormalizers.MultiMax2Module();
        Tensor q = randn(2, 2, 5, 8), k = randn(2, 2, 7, 8);
        foreach (Tensor mask in new[] { ones(2, 7, ScalarType.Int64), full(2, 7, 0.5), ones(2, 7, ScalarType.Byte) })
        {
            var e = Assert.Throws<ArgumentException>(() => FusedAttention.ScaledDotProduct(q, k, k, module, mask));
            Assert.Equal("keyPaddingMask", e.ParamName);
            Assert.Contains(mask.dtype.ToString(), e.Message);
            Assert.Contains("attention_mask.eq(0)", e.Message);
        }

        var layer = new MultiHeadAttention(8, 2, NormalizerKind.MultiMax2);
        Tensor x = randn(2, 7, 8), attentionMask = ones(2, 7, ScalarType.Int64);
        Assert.Equal("keyPaddingMask", Assert.Throws<ArgumentException>(() => layer.forward(x, attentionMask)).ParamName);
        Assert.Equal("keyPaddingMask", Assert.Throws<ArgumentException>(() => layer.Attend(x, attentionMask)).ParamName);

        // The negation the message suggests is the mask meant: the same as no mask when every token is real.
        TensorAssert.Close(layer.forward(x), layer.forward(x, attentionMask.eq(0)), 0, 0, "attention_mask.eq(0)");
    }

    /// <summary>
    /// q·k that overflows float32 to −∞ (a 1e20 query component against a −1e20 key component) is masked before σ on
    /// the fused path, as the materialized formula masks it: finite outputs and gradients equal to the formula's.
    /// </summary>
    [Theory]
    [InlineData("MultiMax2")]
    [InlineData("LogMultiMax2")]
    public void AScoreThatOverflowsToMinusInfinityIsMaskedAsTheFormulaMasksIt(string name)
    {
        using var scope = NewDisposeScope();
        manual_seed(21);
        var module = (nn.Module<Tensor, Tensor>)NormalizerCase.Named(name).Create();
        NormalizerCase.Randomize(module);
        Tensor q = randn(1, 2, 9, 16), k = randn(1, 2, 11, 16), v = randn(1, 2, 11, 16);
        using (no_grad())
        {
            q[.., .., .., 0] = 0;
            k[.., .., .., 0] = 0;
            q[0, .., 4, 0] = 1e20f;
            k[0, .., 2, 0] = -1e20f;
        }

        (Tensor Output, Tensor[] Gradients) Run(bool fused)
        {
            Tensor qi = q.clone().requires_grad_(), ki = k.clone().requires_grad_(), vi = v.clone().requires_grad_();
            Tensor output = FusedAttention.ScaledDotProduct(qi, ki, vi, fused ? module : new Materialized(module, name.StartsWith("Log")), causal: true);
            module.zero_grad();
            output.sum().backward();
            return (output, new[] { qi.grad!, ki.grad!, vi.grad! }.Concat(module.parameters().Select(p => p.grad!)).ToArray());
        }

        (Tensor fusedOutput, Tensor[] fusedGradients) = Run(fused: true);
        (Tensor formulaOutput, Tensor[] formulaGradients) = Run(fused: false);
        Assert.True(fusedOutput.isfinite().all().item<bool>(), "the fused output is finite");
        TensorAssert.Close(formulaOutput, fusedOutput, 1e-5, 1e-4, name + " output");
        for (int i = 0; i < fusedGradients.Length; i++)
        {
            Assert.True(fusedGradients[i].isfinite().all().item<bool>(), $"gradient {i} is finite");
            TensorAssert.Close(formulaGradients[i], fusedGradients[i], 1e-3, 1e-3, $"{name} gradient {i}");
        }
    }

    /// <summary>
    /// A padding key is never read, on the fused and the materialized path alike: NaN in its key and value rows
    /// reaches nothing, wherever it falls among the tiles (sdpa would give NaN everywhere).
    /// </summary>
    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float16)]
    public void PaddingRowsAreNeverRead(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        manual_seed(22);
        var module = new TorchNormalizers.MultiMax2Module();
        Tensor q = randn(2, 2, 70, 16).to(dtype), k = randn(2, 2, 140, 16).to(dtype), v = randn(2, 2, 140, 16).to(dtype);
        Tensor mask = zeros(2, 140, ScalarType.Bool);
        foreach (long key in new long[] { 0, 63, 64, 100, 139 })
        {
            mask[0, key] = true;
        }

        mask[1, 70..] = true; // a partial tile and a tile of padding alone
        Tensor poison = mask.view(2, 1, 140, 1);
        Tensor kNaN = k.masked_fill(poison, double.NaN), vNaN = v.masked_fill(poison, double.NaN);

        Tensor clean = FusedAttention.ScaledDotProduct(q, k.masked_fill(poison, 0), v.masked_fill(poison, 0), module, mask);
        Tensor poisoned = FusedAttention.ScaledDotProduct(q, kNaN, vNaN, module, mask);
        Assert.True(poisoned.isfinite().all().item<bool>(), "no NaN from padding rows");
        TensorAssert.Close(clean, poisoned, 0, 0, $"{dtype} output");
    }

    /// <summary>Empty extents return empty results, fused and materialized, with gradients of the right shapes.</summary>
    [Theory]
    [InlineData(0, 2, 5, 7, 16)]
    [InlineData(2, 0, 5, 7, 16)]
    [InlineData(2, 2, 5, 7, 0)]
    [InlineData(2, 2, 0, 7, 16)]
    [InlineData(2, 2, 5, 0, 16)]
    public void EmptyShapesGiveEmptyResults(long batch, long heads, long queries, long keys, long headSize)
    {
        using var scope = NewDisposeScope();
        foreach (ScalarType dtype in new[] { ScalarType.Float32, ScalarType.Float64, ScalarType.Float16 })
        {
            var module = new TorchNormalizers.MultiMax2Module();
            Tensor q = randn(batch, heads, queries, headSize).to(dtype).requires_grad_();
            Tensor k = randn(batch, heads, keys, headSize).to(dtype).requires_grad_();
            Tensor v = randn(batch, heads, keys, headSize).to(dtype).requires_grad_();
            Tensor output = FusedAttention.ScaledDotProduct(q, k, v, module, zeros(batch, keys, ScalarType.Bool), causal: true);
            Assert.Equal(new[] { batch, heads, queries, headSize }, output.shape);
            Assert.True(output.isfinite().all().item<bool>());
            output.sum().backward();
            Assert.Equal(q.shape, q.grad!.shape);
            Assert.Equal(k.shape, k.grad!.shape);
            Assert.Equal(v.shape, v.grad!.shape);
            Assert.All(module.parameters(), p => Assert.Equal(0.0, p.grad!.abs().sum().to(ScalarType.Float64).item<double>()));
        }
    }

    /// <summary>The layers on empty batches and sequences: empty outputs, and a loss of 0 over no token.</summary>
    [Fact]
    public void TheLayersTakeEmptyBatchesAndSequences()
    {
        using var scope = NewDisposeScope();
        var attention = new MultiHeadAttention(8, 2, NormalizerKind.MultiMax2);
        foreach (Tensor x in new[] { randn(0, 5, 8), randn(3, 0, 8) })
        {
            Assert.Equal(x.shape, attention.forward(x, zeros(x.shape[0], x.shape[1], ScalarType.Bool), causal: true).shape);
            (Tensor output, Tensor weights) = attention.Attend(x);
            Assert.Equal(x.shape, output.shape);
            Assert.Equal(new[] { x.shape[0], 2, x.shape[1], x.shape[1] }, weights.shape);
        }

        var layer = new OutputLayer(8, 5, NormalizerKind.MultiMax2);
        Tensor hidden = randn(2, 0, 8).requires_grad_();
        Tensor loss = layer.Loss(hidden, zeros(2, 0, ScalarType.Int64));
        Assert.Equal(0.0, loss.to(ScalarType.Float64).item<double>());
        loss.backward();
        Assert.Equal(hidden.shape, hidden.grad!.shape);
    }

    /// <summary>A scale that is finite as a double but overflows the dtype is refused with its value, not as "Infinity".</summary>
    [Fact]
    public void AScaleBeyondTheDtypesRangeIsRefused()
    {
        using var scope = NewDisposeScope();
        Tensor q = randn(1, 1, 2, 4);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => FusedAttention.ScaledDotProduct(q, q, q, new TorchNormalizers.MultiMax2Module(), scale: 1e39));
        Assert.Equal("scale", e.ParamName);
        Assert.Contains("1E+39", e.Message);
        Assert.Contains("Float32", e.Message);
        Assert.Equal(q.shape, FusedAttention.ScaledDotProduct(q.to(ScalarType.Float64), q.to(ScalarType.Float64), q.to(ScalarType.Float64),
            new TorchNormalizers.MultiMax2Module(), scale: 1e39).shape);
    }

    /// <summary>
    /// <see cref="MultiHeadAttention.Attend"/> weighs the values by probabilities, as <c>forward</c> does, whatever the
    /// normalizer's declared output: with a log-output normalizer its weight rows sum to 1 and its output is forward's.
    /// </summary>
    [Fact]
    public void AttendUsesProbabilitiesWithALogOutputNormalizer()
    {
        using var scope = NewDisposeScope();
        manual_seed(23);
        var module = new TorchNormalizers.LogMultiMax2Module();
        NormalizerCase.Randomize(module);
        var layer = new MultiHeadAttention(16, 2, module);
        Tensor x = randn(2, 6, 16), mask = tensor(new[] { false, false, false, false, true, true, false, false, false, false, false, false }).view(2, 6);
        (Tensor output, Tensor weights) = layer.Attend(x, mask, causal: true);
        TensorAssert.Close(ones(2, 2, 6), weights.sum(-1), 1e-6, 1e-6, "weight rows");
        TensorAssert.Close(layer.forward(x, mask, causal: true), output, 1e-5, 1e-4, "Attend's output against forward's");
    }

    /// <summary>A replaced parameter of the wrong shape is refused at the assignment, naming it, not later inside the formula.</summary>
    [Fact]
    public void AReplacedParameterMustKeepItsShape()
    {
        using var scope = NewDisposeScope();
        var module = new TorchNormalizers.MultiMax2Module();
        var e = Assert.Throws<ArgumentException>(() => module.ts = new TorchSharp.Modules.Parameter(zeros(2, 2)));
        Assert.Contains("MultiMax2Module.ts", e.Message);
        Assert.Contains("[2, 2]", e.Message);
        Assert.Throws<ArgumentException>(() => module.ranges = new TorchSharp.Modules.Parameter(zeros(3)));
        Assert.Equal(4, module.ts.shape[0]);

        module.ts = new TorchSharp.Modules.Parameter(zeros(4, ScalarType.Float64)); // the right shape, another dtype: fine
        Assert.Equal(new long[] { 2, 3, 4 }, module.forward(randn(2, 3, 4)).shape);
    }

    /// <summary>The output layer names the hidden states, not the targets, when their width is not the layer's.</summary>
    [Fact]
    public void TheOutputLayerNamesAHiddenSizeThatDoesNotFit()
    {
        using var scope = NewDisposeScope();
        var layer = new OutputLayer(8, 5, NormalizerKind.MultiMax2);
        var e = Assert.Throws<ArgumentException>(() => layer.Loss(randn(2, 3, 6), zeros(2, 3, ScalarType.Int64)));
        Assert.Equal("hidden", e.ParamName);
        Assert.Contains("dim 8", e.Message);
    }

    /// <summary>
    /// The loss at a dim of 0 (every logit the bias) and at a dim past the fused limit (the materialized path), against
    /// the materialized formula.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(CrossEntropyShape.MaxDim + 1)]
    public void TheLossAtEmptyAndHugeDimsIsTheFormulas(int dim)
    {
        using var scope = NewDisposeScope();
        manual_seed(24);
        var module = new TorchNormalizers.MultiMax2Module();
        NormalizerCase.Randomize(module);
        Tensor hidden = (randn(3, dim) * 1e-3).requires_grad_(), weight = randn(4, dim).requires_grad_(), bias = randn(4).requires_grad_();
        Tensor targets = tensor(new long[] { 1, -100, 3 });
        Tensor loss = FusedCrossEntropy.Loss(hidden, weight, targets, module, bias);
        Tensor expected = FusedCrossEntropy.Loss(hidden, weight, targets, new Materialized(module, logarithm: false), bias);
        TensorAssert.Close(expected, loss, 1e-5, 1e-5, $"loss at dim {dim}");
        loss.backward();
        Assert.Equal(bias.shape, bias.grad!.shape);
        Assert.True(bias.grad!.abs().sum().item<float>() > 0, "the bias gets a gradient");
    }

    /// <summary>
    /// A generated module's probabilities behind a module that is not generated: the fused operators then take their
    /// materialized path, the formula's (scores or logits as a tensor, −∞ masked by the module itself).
    /// </summary>
    private sealed class Materialized(nn.Module<Tensor, Tensor> inner, bool logarithm) : nn.Module<Tensor, Tensor>("Materialized")
    {
        public override Tensor forward(Tensor x) => logarithm ? inner.forward(x).exp() : inner.forward(x);
    }
}
