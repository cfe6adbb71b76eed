using ILGPU;
using ILGPU.Runtime;

namespace MultiMax.Gpu;

/// <summary>The shape of a generated <c>&lt;Name&gt;Gpu.Forward</c> without learnable parameters (e.g. SoftMax).</summary>
public delegate void GpuForward<T>(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> y, int rowLength)
    where T : unmanaged;

/// <summary>The shape of a generated <c>&lt;Name&gt;Gpu.Forward</c> with learnable parameters.</summary>
public delegate void GpuForwardWithParameters<T>(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> y, int rowLength, ArrayView<T> parameters)
    where T : unmanaged;
