using System.ComponentModel;
using System.Numerics;
using ILGPU.Algorithms;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// What a kernel generic over its element type cannot write with <typeparamref name="T"/>'s own operators: the
/// functions that must be ILGPU.Algorithms' <c>XMath</c> on every accelerator (the BCL's <c>MathF</c> would run the
/// host's libm on the CPU accelerator and give other bits), and the group-wide reductions.
/// </summary>
/// <typeparam name="T">The element type, <see cref="float"/> (<see cref="GpuSingle"/>) or <see cref="double"/> (<see cref="GpuDouble"/>).</typeparam>
/// <remarks>ILGPU specializes a kernel per struct type argument, so every call here compiles to the element type's own instruction.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IGpuElement<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary><c>XMath.Exp</c>.</summary>
    static abstract T Exp(T x);

    /// <summary><c>XMath.Log</c>.</summary>
    static abstract T Log(T x);

    /// <summary><c>XMath.Max</c>, which drops a NaN on CUDA and keeps it on the CPU accelerator: callers track NaN themselves.</summary>
    static abstract T Max(T left, T right);

    /// <summary><see cref="GroupReduce.Sum(float)"/>: Σ over the group, the same in every lane.</summary>
    static abstract T GroupSum(T value);

    /// <summary>The value in double, exactly (what C# does to a float added to a double).</summary>
    static abstract double ToDouble(T value);

    /// <summary>A double rounded to <typeparamref name="T"/>, as a C# cast does.</summary>
    static abstract T FromDouble(double value);

    /// <summary><see cref="GroupReduce.Max(float)"/>: the maximum over the group, the same in every lane.</summary>
    static abstract T GroupMax(T value);
}

/// <summary>The <see cref="float"/> kernels' <see cref="IGpuElement{T}"/>.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct GpuSingle : IGpuElement<float>
{
    /// <inheritdoc/>
    public static float Exp(float x) => XMath.Exp(x);

    /// <inheritdoc/>
    public static float Log(float x) => XMath.Log(x);

    /// <inheritdoc/>
    public static float Max(float left, float right) => XMath.Max(left, right);

    /// <inheritdoc/>
    public static float GroupSum(float value) => GroupReduce.Sum(value);

    /// <inheritdoc/>
    public static float GroupMax(float value) => GroupReduce.Max(value);

    /// <inheritdoc/>
    public static double ToDouble(float value) => value;

    /// <inheritdoc/>
    public static float FromDouble(double value) => (float)value;
}

/// <summary>The <see cref="double"/> kernels' <see cref="IGpuElement{T}"/>.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct GpuDouble : IGpuElement<double>
{
    /// <inheritdoc/>
    public static double Exp(double x) => XMath.Exp(x);

    /// <inheritdoc/>
    public static double Log(double x) => XMath.Log(x);

    /// <inheritdoc/>
    public static double Max(double left, double right) => XMath.Max(left, right);

    /// <inheritdoc/>
    public static double GroupSum(double value) => GroupReduce.Sum(value);

    /// <inheritdoc/>
    public static double GroupMax(double value) => GroupReduce.Max(value);

    /// <inheritdoc/>
    public static double ToDouble(double value) => value;

    /// <inheritdoc/>
    public static double FromDouble(double value) => value;
}
