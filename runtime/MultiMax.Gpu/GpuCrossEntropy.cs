using ILGPU;
using ILGPU.Runtime;

namespace MultiMax.Gpu;

/// <summary>The shape of a generated <c>&lt;Name&gt;Gpu.CrossEntropy</c> without learnable parameters (e.g. SoftMax).</summary>
public delegate double GpuCrossEntropy<T>(
    AcceleratorStream stream, ArrayView<T> hidden, ArrayView<T> weight, ArrayView<T> bias, ArrayView<long> targets,
    CrossEntropyShape shape, long ignoreIndex)
    where T : unmanaged;

/// <summary>The shape of a generated <c>&lt;Name&gt;Gpu.CrossEntropy</c> with learnable parameters.</summary>
public delegate double GpuCrossEntropyWithParameters<T>(
    AcceleratorStream stream, ArrayView<T> hidden, ArrayView<T> weight, ArrayView<T> bias, ArrayView<long> targets,
    CrossEntropyShape shape, ArrayView<T> parameters, long ignoreIndex)
    where T : unmanaged;
