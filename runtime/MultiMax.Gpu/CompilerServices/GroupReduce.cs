using System.ComponentModel;
using ILGPU;
using ILGPU.Algorithms;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// Group-wide sums and maxima for the generated kernels, called by every lane of a group whose size is a whole number
/// of warps (what <see cref="GpuNormalizerRunner.Rows"/> launches); every lane gets the same result.
/// </summary>
/// <remarks>
/// A butterfly of warp shuffles, then one shared-memory slot per warp that every lane adds up in the same order: no
/// atomics, so the result is deterministic and a NaN simply propagates. (ILGPU.Algorithms' <c>AllReduce</c> adds into
/// shared memory with compare-and-swap loops on the CPU accelerator, and those never finish once a NaN is in the
/// slot: NaN ≠ NaN.) A single-warp group needs no shared memory and no barrier.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GroupReduce
{
    /// <summary>Slots for the largest group over the smallest warp ILGPU has (4 lanes, on the CPU accelerator).</summary>
    private const int MaxWarps = GpuNormalizerRunner.MaxGroupSize / 4;

    /// <summary>Σ of <paramref name="value"/> over the group.</summary>
    public static float Sum(float value)
    {
        for (int mask = Warp.WarpSize / 2; mask > 0; mask >>= 1)
        {
            value += Warp.ShuffleXor(value, mask);
        }

        if (Group.DimX == Warp.WarpSize)
        {
            return value;
        }

        ArrayView<float> perWarp = SharedMemory.Allocate<float>(MaxWarps);
        if (Warp.IsFirstLane)
        {
            perWarp[Warp.WarpIdx] = value;
        }

        Group.Barrier();
        float total = 0;
        for (int warp = 0, warps = Group.DimX / Warp.WarpSize; warp < warps; warp++)
        {
            total += perWarp[warp];
        }

        // The next reduction reuses the slots: no lane may write them before every lane has read them.
        Group.Barrier();
        return total;
    }

    /// <inheritdoc cref="Sum(float)"/>
    public static double Sum(double value)
    {
        for (int mask = Warp.WarpSize / 2; mask > 0; mask >>= 1)
        {
            value += Warp.ShuffleXor(value, mask);
        }

        if (Group.DimX == Warp.WarpSize)
        {
            return value;
        }

        ArrayView<double> perWarp = SharedMemory.Allocate<double>(MaxWarps);
        if (Warp.IsFirstLane)
        {
            perWarp[Warp.WarpIdx] = value;
        }

        Group.Barrier();
        double total = 0;
        for (int warp = 0, warps = Group.DimX / Warp.WarpSize; warp < warps; warp++)
        {
            total += perWarp[warp];
        }

        Group.Barrier();
        return total;
    }

    /// <summary>The maximum of <paramref name="value"/> over the group; the kernels never pass NaN (a poisoned row passes +∞).</summary>
    public static float Max(float value)
    {
        for (int mask = Warp.WarpSize / 2; mask > 0; mask >>= 1)
        {
            value = XMath.Max(value, Warp.ShuffleXor(value, mask));
        }

        if (Group.DimX == Warp.WarpSize)
        {
            return value;
        }

        ArrayView<float> perWarp = SharedMemory.Allocate<float>(MaxWarps);
        if (Warp.IsFirstLane)
        {
            perWarp[Warp.WarpIdx] = value;
        }

        Group.Barrier();
        float max = float.NegativeInfinity;
        for (int warp = 0, warps = Group.DimX / Warp.WarpSize; warp < warps; warp++)
        {
            max = XMath.Max(max, perWarp[warp]);
        }

        Group.Barrier();
        return max;
    }

    /// <inheritdoc cref="Max(float)"/>
    public static double Max(double value)
    {
        for (int mask = Warp.WarpSize / 2; mask > 0; mask >>= 1)
        {
            value = XMath.Max(value, Warp.ShuffleXor(value, mask));
        }

        if (Group.DimX == Warp.WarpSize)
        {
            return value;
        }

        ArrayView<double> perWarp = SharedMemory.Allocate<double>(MaxWarps);
        if (Warp.IsFirstLane)
        {
            perWarp[Warp.WarpIdx] = value;
        }

        Group.Barrier();
        double max = double.NegativeInfinity;
        for (int warp = 0, warps = Group.DimX / Warp.WarpSize; warp < warps; warp++)
        {
            max = XMath.Max(max, perWarp[warp]);
        }

        Group.Barrier();
        return max;
    }
}
