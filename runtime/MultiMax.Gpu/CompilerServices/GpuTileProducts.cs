using System.Numerics;
using ILGPU;

namespace MultiMax.Gpu.CompilerServices;

/// <summary>
/// The two small matrix products of the fused kernels, over tiles in shared memory: each lane computes a 2 × 2 block of
/// the result in registers, so every shared-memory load feeds two multiply-adds rather than one (the loads, not the
/// arithmetic, bound these loops). Row tiles have rows <c>stride</c> apart (the width or the next odd number); square
/// tiles are <c>block</c> × <c>block</c>; <c>block</c> is a power of two of at least 2. Every lane of the group calls
/// them; the flags are constants at each call, so ILGPU compiles only the variant a kernel uses.
/// </summary>
internal static class GpuTileProducts
{
    /// <summary>
    /// <c>output[i, j] = Σ_c left[i, c]·right[j, c]</c> over the whole square tile (entries past the valid rows or
    /// columns are computed from stale tile rows, and their values are never used), then a barrier.
    /// </summary>
    public static void Multiply<T>(ArrayView<T> left, ArrayView<T> right, ArrayView<T> output, int width, int block, int stride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int e = Group.IdxX; e < block * block / 4; e += Group.DimX)
        {
            int half = block / 2, i0 = e / half, j0 = e - i0 * half, i1 = i0 + half, j1 = j0 + half;
            T p00 = T.Zero, p01 = T.Zero, p10 = T.Zero, p11 = T.Zero;
            for (int c = 0; c < width; c++)
            {
                T x0 = left[i0 * stride + c], x1 = left[i1 * stride + c], y0 = right[j0 * stride + c], y1 = right[j1 * stride + c];
                p00 += x0 * y0;
                p01 += x0 * y1;
                p10 += x1 * y0;
                p11 += x1 * y1;
            }

            output[i0 * block + j0] = p00;
            output[i0 * block + j1] = p01;
            output[i1 * block + j0] = p10;
            output[i1 * block + j1] = p11;
        }

        Group.Barrier();
    }

    /// <summary>
    /// <c>output[r, c] += factor·Σ_k square[r, k]·right[k, c]</c> for r &lt; <paramref name="rows"/> and k &lt;
    /// <paramref name="depth"/> (no factor unless <paramref name="scaled"/>; with <paramref name="rescale"/>, the old
    /// entry is first multiplied by <c>rescale[r]</c>); <paramref name="transposed"/> reads the square tile as
    /// <c>square[k, r]</c>. The output tile is unpadded (<c>r·width + c</c>): only its own lane reads an entry.
    /// </summary>
    public static void Accumulate<T>(
        ArrayView<T> output, ArrayView<T> square, bool transposed, ArrayView<T> right, int rows, int depth, int width, int block, int stride,
        bool rescaled = false, ArrayView<T> rescale = default, bool scaled = false, T factor = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int e = Group.IdxX, halfWidth = (width + 1) / 2; e < block / 2 * halfWidth; e += Group.DimX)
        {
            int row0 = e / halfWidth, col0 = e - row0 * halfWidth, row1 = row0 + block / 2, col1 = col0 + halfWidth;
            bool pair = col1 < width; // an odd width leaves the last lane one column
            int col1Read = pair ? col1 : col0;
            T s00 = T.Zero, s01 = T.Zero, s10 = T.Zero, s11 = T.Zero;
            for (int k = 0; k < depth; k++)
            {
                T w0 = transposed ? square[k * block + row0] : square[row0 * block + k];
                T w1 = transposed ? square[k * block + row1] : square[row1 * block + k];
                T v0 = right[k * stride + col0], v1 = right[k * stride + col1Read];
                s00 += w0 * v0;
                s01 += w0 * v1;
                s10 += w1 * v0;
                s11 += w1 * v1;
            }

            if (row0 < rows)
            {
                Update(output, row0 * width + col0, s00, rescaled, rescaled ? rescale[row0] : T.One, scaled, factor);
                if (pair)
                {
                    Update(output, row0 * width + col1, s01, rescaled, rescaled ? rescale[row0] : T.One, scaled, factor);
                }
            }

            if (row1 < rows)
            {
                Update(output, row1 * width + col0, s10, rescaled, rescaled ? rescale[row1] : T.One, scaled, factor);
                if (pair)
                {
                    Update(output, row1 * width + col1, s11, rescaled, rescaled ? rescale[row1] : T.One, scaled, factor);
                }
            }
        }
    }

    /// <summary><c>old·rescale + factor·sum</c>, each part only where its flag says.</summary>
    private static void Update<T>(ArrayView<T> output, int index, T sum, bool rescaled, T rescale, bool scaled, T factor)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T product = scaled ? factor * sum : sum;
        output[index] = rescaled ? output[index] * rescale + product : output[index] + product;
    }
}
