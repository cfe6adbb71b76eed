using System;
using System.Threading;
using MultiMax.Torch.CompilerServices;
using Xunit;
using static TorchSharp.torch;

namespace MultiMax.Torch.Tests.Attention;

/// <summary>
/// The background warm-up of the fused attention's backward (<see cref="AttentionWarmUp"/>): its tiny problem runs
/// through the generated kernels for every kind of call, and each declaration's backward is warmed up once. Its
/// failures are silent by design, so these tests are what shows it does its work.
/// </summary>
public class AttentionWarmUpTests
{
    public static TheoryData<int, int, int, bool, int?, CausalAlignment> Calls() => new()
    {
        { 64, 64, 16, false, null, CausalAlignment.TopLeft },        // the tiles
        { 50, 50, 16, true, null, CausalAlignment.TopLeft },         // a vision-sized head, causal
        { 1, 64, 64, false, null, CausalAlignment.TopLeft },         // a decode step: scores from the key rows
        { 8, 64, 64, true, 16, CausalAlignment.BottomRight },        // a few queries against a cache, windowed
        { 9, 3, 5, true, 2, CausalAlignment.BottomRight },           // a head size off the vector width, more queries than keys
    };

    [Theory]
    [MemberData(nameof(Calls))]
    public void TheTinyBackwardRunsThroughTheGeneratedKernels(int queries, int keys, int headSize, bool causal, int? window, CausalAlignment alignment)
    {
        using var module = new TorchNormalizers.MultiMax2Module();
        var fused = (IFusedNormalizer)module;
        var shape = new AttentionShape(Batch: 1, Heads: 1, Queries: queries, Keys: keys, HeadSize: headSize);
        var masking = new AttentionMasking(causal, window is { } left ? (left, 0) : null, alignment);
        AttentionWarmUp.Run(fused.FloatAttention!, shape, masking, global::MultiMax.Normalizers.MultiMax2Parameters.Count);
        AttentionWarmUp.Run(fused.DoubleAttention!, shape, masking, global::MultiMax.Normalizers.MultiMax2Parameters.Count);
    }

    [Fact]
    public void ACallWithAnEmptyExtentLeavesTheWarmUpToALaterCall()
    {
        var kernels = new AttentionKernels<float>((q, k, v, o, l, shape, p, options) => { }, (q, k, v, o, l, dO, dq, dk, dv, shape, p, dp, options, db, dc) => { });
        using var module = new TorchNormalizers.SoftMaxModule();
        var masking = new AttentionMasking(false, null, CausalAlignment.TopLeft);
        FusedAttentionFunction.Call Call(AttentionShape shape) => new(module, shape, null, masking, 1, HasParameters: false, default, BiasGradient: false);

        Assert.False(AttentionWarmUp.Backward(kernels, Call(new AttentionShape(1, 1, 0, 10, 16)), parameterCount: 0));
        Assert.False(AttentionWarmUp.Backward(kernels, Call(new AttentionShape(1, 1, 10, 10, 0)), parameterCount: 0));
        Assert.True(AttentionWarmUp.Backward(kernels, Call(new AttentionShape(1, 1, 10, 10, 16)), parameterCount: 0));
    }

    [Fact]
    public void EachDeclarationsBackwardIsWarmedUpOnce()
    {
        int backwardCalls = 0;
        AttentionShape warmedUp = default;
        using var ran = new ManualResetEventSlim();
        var kernels = new AttentionKernels<float>(
            (q, k, v, o, l, shape, p, options) => { },
            (q, k, v, o, l, dO, dq, dk, dv, shape, p, dp, options, db, dc) =>
            {
                warmedUp = shape;
                Interlocked.Increment(ref backwardCalls);
                ran.Set();
            });
        using var module = new TorchNormalizers.SoftMaxModule();
        var call = new FusedAttentionFunction.Call(module, new AttentionShape(2, 3, 100, 200, 32), null,
            new AttentionMasking(false, null, CausalAlignment.TopLeft), 1, HasParameters: false, default, BiasGradient: false);

        Assert.True(AttentionWarmUp.Backward(kernels, call, parameterCount: 0));
        Assert.False(AttentionWarmUp.Backward(kernels, call, parameterCount: 0));

        Assert.True(ran.Wait(TimeSpan.FromSeconds(30)), "The warm-up never ran.");
        Assert.Equal(1, Volatile.Read(ref backwardCalls));
        Assert.Equal(new AttentionShape(1, 1, 67, 67, 32), warmedUp);
    }

    /// <summary>The test that decides whether a fused forward queues the warm-up: never under <c>no_grad</c>.</summary>
    [Fact]
    public void ACallCountsAsDifferentiatedOnlyWithGradModeOnAndAnInputRequiringGrad()
    {
        using Tensor plain = zeros(2), tracked = zeros(2).requires_grad_();

        Assert.True(FusedAttention.WillBeDifferentiated(plain, tracked, null));
        Assert.False(FusedAttention.WillBeDifferentiated(plain, null));
        using (no_grad())
        {
            Assert.False(FusedAttention.WillBeDifferentiated(plain, tracked, null));
        }

        Assert.True(FusedAttention.WillBeDifferentiated(tracked));
    }
}
