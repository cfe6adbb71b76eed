using System.ComponentModel;
using ILGPU;
using ILGPU.Algorithms.ScanReduceOperations;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// Group-wide sums and maxima for the kernels and the σ structs generated for them, called by every lane of a group whose size is a whole number
/// of warps (what <see cref="GpuNormalizerRunner.Rows"/> launches); every lane gets the same result.
/// </summary>
/// <remarks>
/// A butterfly of warp shuffles, then one shared-memory slot per warp that every lane folds in the same order: no
/// atomics, so the result is deterministic and a NaN simply propagates. (ILGPU.Algorithms' <c>AllReduce</c> adds into
/// shared memory with compare-and-swap loops on the CPU accelerator, and those never finish once a NaN is in the
/// slot: NaN ≠ NaN.) A single-warp group needs no shared memory and no barrier.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GroupReduce
{
    /// <summary>Slots for the largest group over the smallest warp ILGPU has (4 lanes, on the CPU accelerator).</summary>
    private const int MaxWarps = GpuNormalizerRunner.MaxGroupSize / 4;

    /// <summary>The static shared memory one call allocates, at most (its per-warp slots, in double).</summary>
    public const int SharedBytes = MaxWarps * sizeof(double);

    /// <summary>Σ of <paramref name="value"/> over the group.</summary>
    public static float Sum(float value) => Reduce<float, AddFloat>(value);

    /// <inheritdoc cref="Sum(float)"/>
    public static double Sum(double value) => Reduce<double, AddDouble>(value);

    /// <summary>The maximum of <paramref name="value"/> over the group; the kernels never pass NaN (a poisoned row passes +∞).</summary>
    public static float Max(float value) => Reduce<float, MaxFloat>(value);

    /// <inheritdoc cref="Max(float)"/>
    public static double Max(double value) => Reduce<double, MaxDouble>(value);

    /// <summary>
    /// Folds <paramref name="value"/> over the group with <typeparamref name="TOperation"/>: within each warp by shuffles,
    /// then across warps through shared memory, starting from warp 0's value (no identity element needed).
    /// </summary>
    internal static T Reduce<T, TOperation>(T value)
        where T : unmanaged
        where TOperation : struct, IScanReduceOperation<T>
    {
        TOperation operation = default;
        for (int mask = Warp.WarpSize / 2; mask > 0; mask >>= 1)
        {
            value = operation.Apply(value, Warp.ShuffleXor(value, mask));
        }

        if (Group.DimX == Warp.WarpSize)
        {
            return value;
        }

        ArrayView<T> perWarp = SharedMemory.Allocate<T>(MaxWarps);
        if (Warp.IsFirstLane)
        {
            perWarp[Warp.WarpIdx] = value;
        }

        Group.Barrier();
        T total = perWarp[0];
        for (int warp = 1, warps = Group.DimX / Warp.WarpSize; warp < warps; warp++)
        {
            total = operation.Apply(total, perWarp[warp]);
        }

        // The next reduction reuses the slots: no lane may write them before every lane has read them.
        Group.Barrier();
        return total;
    }
}
