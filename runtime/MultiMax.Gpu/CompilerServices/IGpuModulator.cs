using System.ComponentModel;
using ILGPU;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// The modulator σ of one <see cref="NormalizerAttribute"/> declaration inside an ILGPU kernel, emitted by
/// MultiMax.Generator as a small struct; the kernels that call it (<see cref="GpuRowKernels"/>,
/// <see cref="GpuAttentionKernels"/>, <see cref="GpuCrossEntropyKernels"/>) are the same for every σ and are written
/// once, here in the runtime. ILGPU compiles a kernel once per modulator type, so each call below
/// is inlined into straight-line code with the declaration's constants folded in.
/// </summary>
/// <typeparam name="T">The element type, <see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// An instance is one lane's registers: <see cref="Load"/> reads the learnable values (and what σ computes from them
/// once per call) into fields, and the backward adds each parameter's gradient share into fields of its own, which
/// <see cref="WriteParameterSums"/> sums over the group. Infrastructure for generated code: not meant to be implemented
/// or called by hand.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IGpuModulator<T>
    where T : unmanaged
{
    /// <summary>How many learnable parameters σ takes (0 when it has none): the length of the parameters view.</summary>
    static abstract int ParameterCount { get; }

    /// <summary>Reads the learnable values from <paramref name="parameters"/> into this lane's registers, once per kernel.</summary>
    void Load(ArrayView<T> parameters);

    /// <summary>Whether a learnable parameter σ reads is NaN: σ is then NaN wherever it is evaluated.</summary>
    bool IsPoisoned { get; }

    /// <summary>σ of one unmasked (finite) entry.</summary>
    T Sigma(T x);

    /// <summary>
    /// σ′(x)·gσ, the gradient at the entry <paramref name="x"/> from <paramref name="sigmaGradient"/> (gσ), and adds
    /// gσ·∂σ/∂θ for every parameter to this lane's sums, in <typeparamref name="T"/>.
    /// </summary>
    T InputGradient(T x, T sigmaGradient);

    /// <summary>
    /// σ′(s)·gσ for the fused kernels (an attention score), and adds gσ·∂σ/∂θ for every parameter to this lane's sums in
    /// <see cref="double"/>: they run over far more entries than a row. A kernel that does not want the sums ignores them.
    /// </summary>
    T FusedGradient(T s, T sigmaGradient);

    /// <summary>
    /// Sums this lane's <see cref="FusedGradient"/> shares over the group; the group's first lane writes them to slot
    /// <paramref name="slot"/> of <paramref name="partials"/>: NaN for every parameter when one σ reads is NaN (as
    /// autograd of the formula gives, even for a group that saw no visible score). Every lane of the group calls it.
    /// </summary>
    void WriteFusedParameterSums(ArrayView<double> partials, long slot);

    /// <summary>
    /// Sums this lane's parameter-gradient shares over the group; the group's first lane writes them to slot
    /// <paramref name="slot"/> of <paramref name="partials"/> (<see cref="ParameterCount"/> values from
    /// <c>slot·ParameterCount</c>): NaN for every parameter σ reads when one is NaN, 0 for one σ does not depend on.
    /// Every lane of the group calls it.
    /// </summary>
    void WriteParameterSums(ArrayView<T> partials, long slot);
}
