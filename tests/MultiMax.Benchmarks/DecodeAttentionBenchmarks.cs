using System;
using BenchmarkDotNet.Attributes;
using MultiMax.Torch;
using static TorchSharp.torch;

namespace MultiMax.Benchmarks;

/// <summary>
/// A decode step: a few queries against a long key/value cache, forward only (inference, under <c>no_grad</c>), b1 h12
/// d64 float32, 4 096 cached keys: TorchSharp's <c>scaled_dot_product_attention</c> against
/// <see cref="FusedAttention"/> with the generated SoftMax and MultiMax2 modules. The step is memory-bound: it reads
/// K and V (24 MiB here) once, and the rest is small.
/// </summary>
/// <remarks>Program.cs runs these in process, as <see cref="TorchBenchmarks"/>.</remarks>
public class DecodeAttentionBenchmarks
{
    private const int Heads = 12, HeadSize = 64, Keys = 4096;
    private Tensor query = null!, key = null!, value = null!;
    private TorchNormalizers.SoftMaxModule softMax = null!;
    private TorchNormalizers.MultiMax2Module multiMax = null!;

    [Params(1, 8)]
    public int Queries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(42);
        query = randn(1, Heads, Queries, HeadSize);
        key = randn(1, Heads, Keys, HeadSize);
        value = randn(1, Heads, Keys, HeadSize);
        softMax = new TorchNormalizers.SoftMaxModule();
        multiMax = WorkingParameters.Set(new TorchNormalizers.MultiMax2Module());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (IDisposable disposable in new IDisposable[] { query, key, value, softMax, multiMax })
        {
            disposable.Dispose();
        }
    }

    [Benchmark(Baseline = true, Description = "torch sdpa (SoftMax) decode")]
    public void TorchScaledDotProduct() => AttentionCalls.Inference(() => nn.functional.scaled_dot_product_attention(query, key, value));

    [Benchmark(Description = "Fused SoftMax decode")]
    public void FusedSoftMax() => AttentionCalls.Inference(() => FusedAttention.ScaledDotProduct(query, key, value, softMax));

    [Benchmark(Description = "Fused MultiMax2 decode")]
    public void FusedMultiMax() => AttentionCalls.Inference(() => FusedAttention.ScaledDotProduct(query, key, value, multiMax));
}
