using System;
using static TorchSharp.torch;

namespace MultiMax.Torch;

/// <summary>
/// The keys and values an attention layer has seen so far, [batch, kvHeads, cached, headSize] each, for generating one
/// token (or a chunk) at a time: <see cref="MultiHeadAttention.Decode"/> appends the
/// new tokens' keys and values and lets the new queries attend to all of them, aligned at the bottom right.
/// </summary>
/// <remarks>
/// One cache per layer and per sequence batch; dispose it to free its tensors. It is for generation: the cached keys
/// and values are detached (no gradient flows back into them), every key is kept (a window hides old keys but does not
/// evict them), and each <c>Decode</c> replaces <see cref="Key"/> and <see cref="Value"/> with new tensors, disposing
/// the old ones: read them, do not hold them.
/// </remarks>
public sealed class KeyValueCache : IDisposable
{
    /// <summary>The cached keys, or null before the first call.</summary>
    public Tensor? Key { get; private set; }

    /// <summary>The cached values, or null before the first call.</summary>
    public Tensor? Value { get; private set; }

    /// <summary>The number of cached positions.</summary>
    public long Length => Key?.shape[2] ?? 0;

    /// <summary>Appends keys and values [batch, kvHeads, new, headSize]; the cache then holds them after the earlier ones.</summary>
    internal void Append(Tensor key, Tensor value)
    {
        Tensor newKey = Key is null ? key.detach().clone() : cat(new[] { Key, key.detach() }, 2);
        Tensor newValue = Value is null ? value.detach().clone() : cat(new[] { Value, value.detach() }, 2);
        Dispose();
        Key = newKey.DetachFromDisposeScope();
        Value = newValue.DetachFromDisposeScope();
    }

    /// <summary>Frees the cached tensors; the cache is empty afterwards.</summary>
    public void Dispose()
    {
        Key?.Dispose();
        Value?.Dispose();
        Key = null;
        Value = null;
    }
}
