using System;
using BenchmarkDotNet.Attributes;
using MultiMax.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MultiMax.Benchmarks;

/// <summary>
/// Attention forward+backward to query, key, value (and the normalizer's parameters), b1 h8 d64, float32 CPU:
/// TorchSharp's fused <c>scaled_dot_product_attention</c> (SoftMax only) against <see cref="FusedAttention"/> with the
/// generated SoftMax and MultiMax2 modules, and against MultiMax2 on materialized scores (what attention did before).
/// </summary>
/// <remarks>Program.cs runs these in process, as <see cref="TorchBenchmarks"/>.</remarks>
public class AttentionBenchmarks
{
    private Tensor query = null!, key = null!, value = null!, upstream = null!;
    private TorchNormalizers.SoftMaxModule softMax = null!;
    private TorchNormalizers.MultiMax2Module multiMax = null!;

    [Params(512, 1024, 2048, 4096)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(42);
        query = randn(1, 8, N, 64).requires_grad_(true);
        key = randn(1, 8, N, 64).requires_grad_(true);
        value = randn(1, 8, N, 64).requires_grad_(true);
        upstream = randn(1, 8, N, 64);
        softMax = new TorchNormalizers.SoftMaxModule();
        multiMax = WorkingParameters.Set(new TorchNormalizers.MultiMax2Module());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (IDisposable disposable in new IDisposable[] { query, key, value, upstream, softMax, multiMax })
        {
            disposable.Dispose();
        }
    }

    [Benchmark(Baseline = true, Description = "torch sdpa (SoftMax) fwd+bwd")]
    public void TorchScaledDotProduct() =>
        Backward(nn.functional.scaled_dot_product_attention(query, key, value));

    [Benchmark(Description = "Fused SoftMax fwd+bwd")]
    public void FusedSoftMax() => Backward(FusedAttention.ScaledDotProduct(query, key, value, softMax));

    [Benchmark(Description = "Fused MultiMax2 fwd+bwd")]
    public void FusedMultiMax() => Backward(FusedAttention.ScaledDotProduct(query, key, value, multiMax));

    [Benchmark(Description = "Materialized MultiMax2 fwd+bwd")]
    public void MaterializedMultiMax()
    {
        using var scope = NewDisposeScope();
        Tensor weights = multiMax.forward(matmul(query, key.transpose(-2, -1)) / Math.Sqrt(64));
        Backward(matmul(weights, value));
    }

    private void Backward(Tensor output)
    {
        using var scope = NewDisposeScope();
        output.backward(new[] { upstream });
        query.grad?.zero_();
        key.grad?.zero_();
        value.grad?.zero_();
        multiMax.zero_grad();
        output.Dispose();
    }
}
