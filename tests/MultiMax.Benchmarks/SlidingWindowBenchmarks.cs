using System;
using BenchmarkDotNet.Attributes;
using MultiMax.Torch;
using static TorchSharp.torch;

namespace MultiMax.Benchmarks;

/// <summary>
/// A causal sliding window of 256 keys at n = 8 192 (b1 h2 d64, float32 CPU, forward+backward), as Mistral's and
/// Gemma's local layers: <see cref="FusedAttention"/> with MultiMax2 and the window, against the same attention fully
/// causal, and against TorchSharp's <c>scaled_dot_product_attention</c> given the same band as a boolean mask. The
/// fused window skips every tile outside the band: its cost grows with the window, not the sequence.
/// </summary>
/// <remarks>Program.cs runs these in process, as <see cref="TorchBenchmarks"/>.</remarks>
public class SlidingWindowBenchmarks
{
    private const int Length = 8192, Window = 256;
    private Tensor query = null!, key = null!, value = null!, upstream = null!, band = null!;
    private TorchNormalizers.MultiMax2Module multiMax = null!;
    private TorchNormalizers.SoftMaxModule softMax = null!;

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(42);
        query = randn(1, 2, Length, 64).requires_grad_(true);
        key = randn(1, 2, Length, 64).requires_grad_(true);
        value = randn(1, 2, Length, 64).requires_grad_(true);
        upstream = randn(1, 2, Length, 64);
        // true = attend (sdpa's convention): keys i − 256 ≤ j ≤ i.
        Tensor i = arange(Length).unsqueeze(1), j = arange(Length).unsqueeze(0);
        band = j.le(i).logical_and(j.ge(i - Window));
        multiMax = WorkingParameters.Set(new TorchNormalizers.MultiMax2Module());
        softMax = new TorchNormalizers.SoftMaxModule();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (IDisposable disposable in new IDisposable[] { query, key, value, upstream, band, multiMax, softMax })
        {
            disposable.Dispose();
        }
    }

    [Benchmark(Baseline = true, Description = "torch sdpa, band as a bool mask")]
    public void TorchWithBandMask() => Backward(nn.functional.scaled_dot_product_attention(query, key, value, band));

    [Benchmark(Description = "Fused MultiMax2, full causal")]
    public void FullCausal() => Backward(FusedAttention.ScaledDotProduct(query, key, value, multiMax, causal: true));

    [Benchmark(Description = "Fused MultiMax2, window 256")]
    public void Windowed() => Backward(FusedAttention.ScaledDotProduct(query, key, value, multiMax, causal: true, window: (Window, 0)));

    [Benchmark(Description = "Fused SoftMax, window 256")]
    public void WindowedSoftMax() => Backward(FusedAttention.ScaledDotProduct(query, key, value, softMax, causal: true, window: (Window, 0)));

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
