using ILGPU;
using ILGPU.Runtime;

namespace MultiMax.Gpu;

/// <summary>The shape of a generated <c>&lt;Name&gt;Gpu.Attention</c> without learnable parameters (e.g. SoftMax).</summary>
public delegate void GpuAttention<T>(
    AcceleratorStream stream, ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> output, ArrayView<T> logSumExp,
    AttentionShape shape, ArrayView<byte> keyPaddingMask, bool causal, T? scale)
    where T : unmanaged;

/// <summary>The shape of a generated <c>&lt;Name&gt;Gpu.Attention</c> with learnable parameters.</summary>
public delegate void GpuAttentionWithParameters<T>(
    AcceleratorStream stream, ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> output, ArrayView<T> logSumExp,
    AttentionShape shape, ArrayView<T> parameters, ArrayView<byte> keyPaddingMask, bool causal, T? scale)
    where T : unmanaged;

/// <summary>The shape of a generated <c>&lt;Name&gt;Gpu.Attention</c> overload that takes <see cref="GpuAttentionOptions{T}"/>, without learnable parameters.</summary>
public delegate void GpuAttentionWithOptions<T>(
    AcceleratorStream stream, ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> output, ArrayView<T> logSumExp,
    AttentionShape shape, GpuAttentionOptions<T> options)
    where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>;

/// <summary>The shape of a generated <c>&lt;Name&gt;Gpu.Attention</c> overload that takes <see cref="GpuAttentionOptions{T}"/>, with learnable parameters.</summary>
public delegate void GpuAttentionWithParametersAndOptions<T>(
    AcceleratorStream stream, ArrayView<T> query, ArrayView<T> key, ArrayView<T> value, ArrayView<T> output, ArrayView<T> logSumExp,
    AttentionShape shape, ArrayView<T> parameters, GpuAttentionOptions<T> options)
    where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>;
