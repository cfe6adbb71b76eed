using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;
using MultiMax.Torch.CompilerServices;

namespace MultiMax.Torch;

/// <summary>
/// A declaration's first fused attention backward compiled while its first forward runs. The tile loops are compiled
/// fully optimized at their first call, so the first training step of a fresh process spends most of its time in the
/// JIT: the forward's loops, then the backward's. The first forward that will be differentiated queues, once per
/// declaration and element type, a backward of a tiny problem of the same kind on a pool thread, so that the backward's
/// loops compile on another core meanwhile; the real backward then finds them compiled (or waits for the compilation
/// under way, never compiling twice). A forward outside <c>no_grad</c> whose inputs require a gradient counts as one
/// that will be differentiated, even if the caller never calls backward.
/// </summary>
internal static class AttentionWarmUp
{
    /// <summary>The kernels whose backward has been warmed up (weakly held: a collected declaration's entry goes).</summary>
    private static readonly ConditionalWeakTable<object, object> Started = new();

    /// <summary>
    /// Up to this many queries, keys and head-size entries: a full block of 64 and a remainder of 3, so that the tile
    /// products take their blocks of six, four, two and one rows. What the JIT compiles depends on the methods a call
    /// reaches, not on how long their loops run.
    /// </summary>
    private const int TinyExtent = 67;

    /// <summary>
    /// Queues the warm-up of <paramref name="kernels"/>' backward for a call like <paramref name="call"/>, unless one
    /// was queued before; returns whether it queued one. The tiny problem keeps the call's query count up to
    /// <see cref="TinyExtent"/> (a few queries take the decode path, more the tiles), its key count and head size up
    /// to the same, and its mask settings, with one batch, one head and no bias or sinks. A call with an empty extent
    /// computes nothing, so it queues nothing and leaves the warm-up to a later call.
    /// </summary>
    public static bool Backward<T>(AttentionKernels<T> kernels, FusedAttentionFunction.Call call, int parameterCount)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        AttentionShape shape = call.Shape;
        var tiny = new AttentionShape(Batch: 1, Heads: 1, Queries: Math.Min(shape.Queries, TinyExtent), Keys: Math.Min(shape.Keys, TinyExtent),
            HeadSize: Math.Min(shape.HeadSize, TinyExtent));
        if (tiny.Queries == 0 || tiny.Keys == 0 || tiny.HeadSize == 0 || Started.TryGetValue(kernels, out _) || !Started.TryAdd(kernels, kernels))
        {
            return false;
        }

        ThreadPool.UnsafeQueueUserWorkItem(
            static state =>
            {
                try
                {
                    Run(state.kernels, state.tiny, state.masking, state.parameterCount);
                }
                catch (Exception)
                {
                    // Nothing to report here: the warm-up computes nothing anyone reads, and a real call with these
                    // settings reports any failure with its own arguments.
                }
            },
            (kernels, tiny, masking: call.Masking, parameterCount),
            preferLocal: false);
        return true;
    }

    /// <summary>The tiny backward, on zeros: only its compilation matters, so its results are dropped.</summary>
    internal static void Run<T>(AttentionKernels<T> kernels, AttentionShape shape, AttentionMasking masking, int parameterCount)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int queryLength = shape.Queries * shape.HeadSize, keyLength = shape.Keys * shape.HeadSize;
        T[] query = new T[queryLength], output = new T[queryLength], outputGradient = new T[queryLength], queryGradient = new T[queryLength];
        T[] key = new T[keyLength], value = new T[keyLength], keyGradient = new T[keyLength], valueGradient = new T[keyLength];
        T[] parameters = new T[parameterCount], parameterGradients = new T[parameterCount];
        var options = new AttentionOptions<T> { Causal = masking.Causal, Alignment = masking.Alignment, Window = masking.Window };
        kernels.Backward(query, key, value, output, new T[shape.Queries], outputGradient, queryGradient, keyGradient, valueGradient,
            shape, parameters, parameterGradients, options, default, default);
    }
}
