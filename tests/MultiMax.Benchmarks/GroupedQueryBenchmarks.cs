using System;
using BenchmarkDotNet.Attributes;
using MultiMax.Torch;
using static TorchSharp.torch;

namespace MultiMax.Benchmarks;

/// <summary>
/// Grouped-query attention (8 query heads per key/value head, as Llama 3 and Mistral) against the same attention with
/// as many key/value heads as query heads, through <see cref="FusedAttention"/> with MultiMax2, float32 CPU: training
/// (b1 h16 n512 d64, forward+backward) and a decode step (1 query against 4 096 cached keys, h32 d64, forward under
/// <c>no_grad</c>). The grouped call reads each key/value head once per group: it should cost no more.
/// </summary>
/// <remarks>Program.cs runs these in process, as <see cref="TorchBenchmarks"/>.</remarks>
public class GroupedQueryBenchmarks
{
    private Tensor query = null!, key = null!, value = null!, groupedKey = null!, groupedValue = null!, upstream = null!;
    private Tensor decodeQuery = null!, cacheKey = null!, cacheValue = null!, groupedCacheKey = null!, groupedCacheValue = null!;
    private TorchNormalizers.MultiMax2Module multiMax = null!;

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(42);
        query = randn(1, 16, 512, 64).requires_grad_(true);
        key = randn(1, 16, 512, 64).requires_grad_(true);
        value = randn(1, 16, 512, 64).requires_grad_(true);
        groupedKey = randn(1, 2, 512, 64).requires_grad_(true);
        groupedValue = randn(1, 2, 512, 64).requires_grad_(true);
        upstream = randn(1, 16, 512, 64);
        decodeQuery = randn(1, 32, 1, 64);
        cacheKey = randn(1, 32, 4096, 64);
        cacheValue = randn(1, 32, 4096, 64);
        groupedCacheKey = randn(1, 4, 4096, 64);
        groupedCacheValue = randn(1, 4, 4096, 64);
        multiMax = WorkingParameters.Set(new TorchNormalizers.MultiMax2Module());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (IDisposable disposable in new IDisposable[]
                 {
                     query, key, value, groupedKey, groupedValue, upstream, decodeQuery, cacheKey, cacheValue, groupedCacheKey, groupedCacheValue, multiMax,
                 })
        {
            disposable.Dispose();
        }
    }

    [Benchmark(Baseline = true, Description = "h16 kv16 n512 fwd+bwd")]
    public void Training() => Backward(FusedAttention.ScaledDotProduct(query, key, value, multiMax, causal: true));

    [Benchmark(Description = "h16 kv2 n512 fwd+bwd")]
    public void GroupedTraining() => Backward(FusedAttention.ScaledDotProduct(query, groupedKey, groupedValue, multiMax, causal: true));

    [Benchmark(Description = "h32 kv32 decode 1 × 4096")]
    public void Decode() => AttentionCalls.Inference(() => FusedAttention.ScaledDotProduct(decodeQuery, cacheKey, cacheValue, multiMax));

    [Benchmark(Description = "h32 kv4 decode 1 × 4096")]
    public void GroupedDecode() => AttentionCalls.Inference(() => FusedAttention.ScaledDotProduct(decodeQuery, groupedCacheKey, groupedCacheValue, multiMax));

    private void Backward(Tensor output)
    {
        using var scope = NewDisposeScope();
        output.backward(new[] { upstream });
        foreach (Tensor input in new[] { query, key, value, groupedKey, groupedValue })
        {
            input.grad?.zero_();
        }

        multiMax.zero_grad();
        output.Dispose();
    }
}
