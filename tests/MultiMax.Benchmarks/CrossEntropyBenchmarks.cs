using System;
using BenchmarkDotNet.Attributes;
using MultiMax.Torch;
using static TorchSharp.torch;

namespace MultiMax.Benchmarks;

/// <summary>
/// The output-layer loss forward+backward to hidden, weight, bias (and the normalizer's parameters), tokens 4096,
/// dim 128, float32 CPU: torch's plain <c>cross_entropy</c> on materialized logits against
/// <see cref="FusedCrossEntropy.Loss"/> with the generated SoftMax and MultiMax2 modules, MultiMax2 on materialized
/// logits (the loss before fusion), and libtorch's three GEMMs alone (the products every method needs).
/// </summary>
/// <remarks>Program.cs runs these in process, as <see cref="TorchBenchmarks"/>.</remarks>
public class CrossEntropyBenchmarks
{
    private const int Tokens = 4096, Dim = 128;
    private Tensor hidden = null!, weight = null!, bias = null!, targets = null!;
    private TorchNormalizers.SoftMaxModule softMax = null!;
    private TorchNormalizers.MultiMax2Module multiMax = null!;
    private MultiMaxNllLoss materializedLoss = null!;

    [Params(32768, 131072)]
    public int Vocab { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(42);
        hidden = randn(Tokens, Dim).requires_grad_(true);
        weight = (randn(Vocab, Dim) / Math.Sqrt(Dim)).requires_grad_(true);
        bias = zeros(Vocab).requires_grad_(true);
        targets = randint(Vocab, Tokens, ScalarType.Int64);
        softMax = new TorchNormalizers.SoftMaxModule();
        multiMax = WorkingParameters.Set(new TorchNormalizers.MultiMax2Module());
        var logMultiMax = WorkingParameters.Set(new TorchNormalizers.LogMultiMax2Module());

        materializedLoss = new MultiMaxNllLoss(logMultiMax);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (IDisposable disposable in new IDisposable[] { hidden, weight, bias, targets, softMax, multiMax, materializedLoss })
        {
            disposable.Dispose();
        }
    }

    [Benchmark(Baseline = true, Description = "torch cross_entropy (SoftMax) fwd+bwd")]
    public void TorchCrossEntropy() =>
        Backward(nn.functional.cross_entropy(nn.functional.linear(hidden, weight, bias), targets));

    [Benchmark(Description = "Fused SoftMax fwd+bwd")]
    public void FusedSoftMax() => Backward(FusedCrossEntropy.Loss(hidden, weight, targets, softMax, bias));

    [Benchmark(Description = "Fused MultiMax2 fwd+bwd")]
    public void FusedMultiMax() => Backward(FusedCrossEntropy.Loss(hidden, weight, targets, multiMax, bias));

    [Benchmark(Description = "Materialized MultiMax2 fwd+bwd")]
    public void MaterializedMultiMax()
    {
        using var scope = NewDisposeScope();
        Backward(materializedLoss.forward(nn.functional.linear(hidden, weight, bias), targets));
    }

    /// <summary>z = h·Wᵀ, dh = dz·W and dW = dzᵀ·h in libtorch, with z standing in for dz: the floor of any method built on its GEMM.</summary>
    [Benchmark(Description = "libtorch GEMMs alone (3 products)")]
    public void LibtorchProducts()
    {
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            Tensor z = mm(hidden, weight.t());
            mm(z, weight);
            mm(z.t(), hidden);
        }
    }

    private void Backward(Tensor loss)
    {
        using var scope = NewDisposeScope();
        loss.backward();
        hidden.grad?.zero_();
        weight.grad?.zero_();
        bias.grad?.zero_();
        multiMax.zero_grad();
        materializedLoss.zero_grad();
        loss.Dispose();
    }
}
