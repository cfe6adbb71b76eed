using System;
using BenchmarkDotNet.Attributes;
using MultiMax.Torch;
using static TorchSharp.torch;

namespace MultiMax.Benchmarks;

/// <summary>
/// The cost of a learned score bias and of sinks, both with gradients, over the same call without them, through
/// <see cref="FusedAttention"/> with MultiMax2, float32 CPU, forward+backward: b1 h8 n1024 d64 with a bias
/// [heads, n, n] (T5's, shared by the batch), and the vision demo's shape b128 h4 n50 d16 with a Swin-style relative
/// position bias [heads, n, n]; beside them TorchSharp's <c>scaled_dot_product_attention</c> with and without the same
/// bias as a float mask with a gradient, for the cost a bias gradient of that size has in torch.
/// </summary>
/// <remarks>Program.cs runs these in process, as <see cref="TorchBenchmarks"/>.</remarks>
public class BiasAndSinkBenchmarks
{
    private Tensor query = null!, key = null!, value = null!, upstream = null!, bias = null!, fixedBias = null!, sinks = null!;
    private Tensor visionQuery = null!, visionKey = null!, visionValue = null!, visionUpstream = null!, visionBias = null!;
    private TorchNormalizers.MultiMax2Module multiMax = null!;

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(42);
        query = randn(1, 8, 1024, 64).requires_grad_(true);
        key = randn(1, 8, 1024, 64).requires_grad_(true);
        value = randn(1, 8, 1024, 64).requires_grad_(true);
        upstream = randn(1, 8, 1024, 64);
        bias = (randn(8, 1024, 1024) * 0.1).requires_grad_(true);
        fixedBias = bias.detach();
        sinks = zeros(8).requires_grad_(true);
        visionQuery = randn(128, 4, 50, 16).requires_grad_(true);
        visionKey = randn(128, 4, 50, 16).requires_grad_(true);
        visionValue = randn(128, 4, 50, 16).requires_grad_(true);
        visionUpstream = randn(128, 4, 50, 16);
        visionBias = (randn(4, 50, 50) * 0.1).requires_grad_(true);
        multiMax = WorkingParameters.Set(new TorchNormalizers.MultiMax2Module());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (IDisposable disposable in new IDisposable[]
                 {
                     query, key, value, upstream, bias, fixedBias, sinks, visionQuery, visionKey, visionValue, visionUpstream, visionBias, multiMax,
                 })
        {
            disposable.Dispose();
        }
    }

    [Benchmark(Baseline = true, Description = "n1024 plain")]
    public void Plain() => Backward(FusedAttention.ScaledDotProduct(query, key, value, multiMax), upstream);

    [Benchmark(Description = "n1024 + bias [h, n, n]")]
    public void WithBias() => Backward(FusedAttention.ScaledDotProduct(query, key, value, multiMax, bias: bias), upstream);

    [Benchmark(Description = "n1024 + bias [h, n, n], no grad")]
    public void WithFixedBias() => Backward(FusedAttention.ScaledDotProduct(query, key, value, multiMax, bias: fixedBias), upstream);

    [Benchmark(Description = "n1024 + sinks")]
    public void WithSinks() => Backward(FusedAttention.ScaledDotProduct(query, key, value, multiMax, sinks: sinks), upstream);

    [Benchmark(Description = "torch sdpa n1024 plain")]
    public void TorchPlain() => Backward(nn.functional.scaled_dot_product_attention(query, key, value), upstream);

    [Benchmark(Description = "torch sdpa n1024 + float mask [h, n, n]")]
    public void TorchWithBias() => Backward(nn.functional.scaled_dot_product_attention(query, key, value, bias), upstream);

    [Benchmark(Description = "vision b128 h4 n50 plain")]
    public void VisionPlain() => Backward(FusedAttention.ScaledDotProduct(visionQuery, visionKey, visionValue, multiMax), visionUpstream);

    [Benchmark(Description = "vision + bias [h, n, n]")]
    public void VisionWithBias() => Backward(FusedAttention.ScaledDotProduct(visionQuery, visionKey, visionValue, multiMax, bias: visionBias), visionUpstream);

    [Benchmark(Description = "vision + bias [h, n, n], no grad")]
    public void VisionWithFixedBias() => Backward(FusedAttention.ScaledDotProduct(visionQuery, visionKey, visionValue, multiMax, bias: visionBias.detach()), visionUpstream);

    private void Backward(Tensor output, Tensor gradient) =>
        AttentionCalls.Backward(output, gradient, multiMax, query, key, value, bias, sinks, visionQuery, visionKey, visionValue, visionBias);
}
