using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using MultiMax.Torch;
using static TorchSharp.torch;

namespace MultiMax.Benchmarks;

/// <summary>
/// Attention at the shapes real models run, float32 CPU, through <see cref="FusedAttention"/> with the generated SoftMax
/// and MultiMax2 modules beside TorchSharp's <c>scaled_dot_product_attention</c>: training (forward+backward to query,
/// key and value) and inference (forward under <c>no_grad</c>).
/// </summary>
/// <remarks>Program.cs runs these in process, as <see cref="TorchBenchmarks"/>.</remarks>
public class ModelShapeAttentionBenchmarks
{
    /// <summary>
    /// One model's attention call: batch, heads, queries, keys, head size, a causal mask, a padded tail, and fewer
    /// key/value heads than query heads (grouped-query attention).
    /// </summary>
    public sealed record ModelShape(string Name, int Batch, int Heads, int Queries, int Keys, int HeadSize, bool Causal = false, bool Padded = false, int? KeyValueHeads = null)
    {
        public override string ToString() => Name;
    }

    private Tensor query = null!, key = null!, value = null!, upstream = null!;
    private Tensor? padding, keep;
    private TorchNormalizers.SoftMaxModule softMax = null!;
    private TorchNormalizers.MultiMax2Module multiMax = null!;

    public static IEnumerable<ModelShape> Shapes() => new ModelShape[]
    {
        new("vision demo b128 h4 n50 d16", 128, 4, 50, 50, 16),
        new("DeiT-S b8 h6 n197 d64", 8, 6, 197, 197, 64),
        new("BERT-base b16 h12 n128 d64 padded", 16, 12, 128, 128, 64, Padded: true),
        new("GPT-2 b1 h12 n1024 d64 causal", 1, 12, 1024, 1024, 64, Causal: true),
        new("GPT-2 b1 h12 n2048 d64 causal", 1, 12, 2048, 2048, 64, Causal: true),
        new("decode b1 h12 1 x 4096 d64", 1, 12, 1, 4096, 64),
        new("decode b1 h12 8 x 4096 d64", 1, 12, 8, 4096, 64),
        new("GQA decode b1 h32 kv8 1 x 4096 d128", 1, 32, 1, 4096, 128, KeyValueHeads: 8),
    };

    [ParamsSource(nameof(Shapes))]
    public ModelShape Shape { get; set; } = null!;

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(42);
        ModelShape s = Shape;
        query = randn(s.Batch, s.Heads, s.Queries, s.HeadSize).requires_grad_(true);
        key = randn(s.Batch, s.KeyValueHeads ?? s.Heads, s.Keys, s.HeadSize).requires_grad_(true);
        value = randn(s.Batch, s.KeyValueHeads ?? s.Heads, s.Keys, s.HeadSize).requires_grad_(true);
        upstream = randn(s.Batch, s.Heads, s.Queries, s.HeadSize);
        if (s.Padded)
        {
            // The last 30 % of every sequence is padding (true); sdpa takes the keys to keep (true = attend).
            padding = arange(s.Keys).ge((int)(s.Keys * 0.7)).unsqueeze(0).expand(s.Batch, s.Keys).contiguous();
            keep = padding.logical_not().view(s.Batch, 1, 1, s.Keys);
        }

        softMax = new TorchNormalizers.SoftMaxModule();
        multiMax = WorkingParameters.Set(new TorchNormalizers.MultiMax2Module());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (IDisposable? disposable in new IDisposable?[] { query, key, value, upstream, padding, keep, softMax, multiMax })
        {
            disposable?.Dispose();
        }
    }

    [Benchmark(Baseline = true, Description = "sdpa training")]
    public void SdpaTraining() => Backward(Sdpa());

    [Benchmark(Description = "Fused SoftMax training")]
    public void FusedSoftMaxTraining() => Backward(FusedAttention.ScaledDotProduct(query, key, value, softMax, padding, Shape.Causal));

    [Benchmark(Description = "Fused MultiMax2 training")]
    public void FusedMultiMaxTraining() => Backward(FusedAttention.ScaledDotProduct(query, key, value, multiMax, padding, Shape.Causal));

    [Benchmark(Description = "sdpa inference")]
    public void SdpaInference() => AttentionCalls.Inference(Sdpa);

    [Benchmark(Description = "Fused SoftMax inference")]
    public void FusedSoftMaxInference() => AttentionCalls.Inference(() => FusedAttention.ScaledDotProduct(query, key, value, softMax, padding, Shape.Causal));

    [Benchmark(Description = "Fused MultiMax2 inference")]
    public void FusedMultiMaxInference() => AttentionCalls.Inference(() => FusedAttention.ScaledDotProduct(query, key, value, multiMax, padding, Shape.Causal));

    /// <summary>
    /// TorchSharp's sdpa takes as many key/value heads as query heads, so grouped heads are repeated for it, as a
    /// TorchSharp model must (the fused kernels read each key/value head in place).
    /// </summary>
    private Tensor Sdpa()
    {
        if (Shape.KeyValueHeads is not { } kvHeads || kvHeads == Shape.Heads)
        {
            return nn.functional.scaled_dot_product_attention(query, key, value, keep, is_casual: Shape.Causal);
        }

        using Tensor keys = key.repeat_interleave(Shape.Heads / kvHeads, dim: 1), values = value.repeat_interleave(Shape.Heads / kvHeads, dim: 1);
        return nn.functional.scaled_dot_product_attention(query, keys, values, keep, is_casual: Shape.Causal);
    }

    private void Backward(Tensor output) => AttentionCalls.Backward(output, upstream, multiMax, query, key, value);
}
