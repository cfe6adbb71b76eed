using System;
using System.ComponentModel;
using ILGPU;
using ILGPU.Runtime;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// The tile size and launch of the fused kernels (attention, output loss): every group keeps a few tiles of rows
/// (a block of queries, keys, hidden states or classes, each row an odd number of elements apart, so that lanes
/// reading one column of consecutive rows hit distinct banks) and square tiles of scores or logits in shared memory.
/// The tile size is the largest power of two up to <see cref="MaxBlock"/> (<see cref="CpuMaxBlock"/> on the CPU
/// accelerator) whose tiles fit <see cref="SharedLimit"/> beside the kernel's static shared memory, so it shrinks as
/// the rows grow (attention forward, float: 32 at d = 64, 16 at d = 128, 8 at d = 256).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GpuTiles
{
    /// <summary>The largest tile: the kernels keep per-row values in static shared arrays of this length.</summary>
    public const int MaxBlock = 64;

    /// <summary>
    /// The largest tile on ILGPU's CPU accelerator: small, so that the tests' small shapes still span several tiles
    /// and cut them unevenly.
    /// </summary>
    public const int CpuMaxBlock = 8;

    /// <summary>
    /// Shared memory a group may use, static and dynamic together: the 48 KiB every CUDA device gives a group without
    /// an opt-in (less where the accelerator says so).
    /// </summary>
    public const int SharedLimit = 48 * 1024;

    /// <summary>The static shared memory of one per-row array (<see cref="MaxBlock"/> values of at most 8 bytes).</summary>
    public const int RowArrayBytes = MaxBlock * sizeof(double);

    /// <summary>Lanes per group on a GPU: four warps share a tile.</summary>
    public const int GpuGroupSize = 128;

    /// <summary>Lanes per group on ILGPU's CPU accelerator, where every group-wide barrier is costly.</summary>
    public const int CpuGroupSize = 16;

    /// <summary>
    /// The distance between the rows of a tile of rows <paramref name="width"/> long: the width or the next odd number, so
    /// that lanes reading one column of consecutive rows hit distinct shared-memory banks.
    /// </summary>
    public static int RowStride(int width) => width | 1;

    /// <summary>
    /// The tile size for <paramref name="rowTiles"/> tiles of rows of <paramref name="width"/> elements and
    /// <paramref name="squareTiles"/> square tiles beside <paramref name="staticBytes"/> of static shared memory, and the
    /// launch of <paramref name="groups"/>(block) groups with that much dynamic shared memory. Throws before anything is
    /// launched when even tiles of two rows do not fit.
    /// </summary>
    public static (KernelConfig Launch, int Block) Plan<T>(
        Accelerator accelerator, int width, int rowTiles, int squareTiles, int staticBytes, Func<int, long> groups, string widthName)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        int size = Interop.SizeOf<T>(), budget = (int)Math.Min(SharedLimit, accelerator.MaxSharedMemoryPerGroup) - staticBytes;
        long Elements(int block) => (long)rowTiles * block * RowStride(width) + (long)squareTiles * block * block;
        int block = accelerator.AcceleratorType == AcceleratorType.CPU ? CpuMaxBlock : MaxBlock;
        while (block > 2 && Elements(block) * size > budget) // at least 2: the products give each lane 2 × 2 entries
        {
            block /= 2;
        }

        if (Elements(block) * size > budget)
        {
            throw new ArgumentOutOfRangeException("shape", width,
                $"A {widthName} of {width} needs {Elements(2) * size} bytes of shared memory per group; this accelerator's kernels have {budget}.");
        }

        long count = groups(block);
        if (count > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException("shape", count, $"The call needs {count} groups of threads; one launch has at most {int.MaxValue}.");
        }

        return (new KernelConfig((int)count, GroupSize(accelerator), SharedMemoryConfig.RequestDynamic<T>((int)Elements(block))), block);
    }

    /// <summary>Lanes per group: whole warps, <see cref="GpuGroupSize"/> on a GPU and <see cref="CpuGroupSize"/> on the emulator.</summary>
    public static int GroupSize(Accelerator accelerator)
    {
        int warp = Math.Max(1, accelerator.WarpSize);
        int wanted = accelerator.AcceleratorType == AcceleratorType.CPU ? CpuGroupSize : GpuGroupSize;
        return Math.Max(warp, Math.Min(wanted, accelerator.MaxNumThreadsPerGroup) / warp * warp);
    }
}
