using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MultiMax.CompilerServices;

/// <summary>
/// The small dense products of the fused attention tiles, register-blocked over SIMD lanes: four rows of the result
/// by two vectors of its columns are held in registers while the shared dimension streams through, so each pair of
/// loaded vectors feeds eight fused multiply-adds.
/// </summary>
/// <remarks>
/// Every operand is addressed through a reference and strides, so one routine serves <c>A·B</c> and <c>Aᵀ·B</c> (a
/// transposed A is a row stride of 1 and a column stride of its width): the products of attention are
/// <c>Q·Kᵀ</c> and <c>dO·Vᵀ</c> (with K and V transposed into a tile first), <c>P·V</c>, <c>Pᵀ·dO</c>, <c>dS·K</c> and <c>dSᵀ·Q</c>.
/// The kernel is written once over <see cref="ISimdLanes{TVector, T}"/> and run at 512 bits where the hardware
/// accelerates them (twice the multiply-adds per instruction of <see cref="Vector{T}"/>, which stays at 256 bits),
/// then at <see cref="Vector{T}"/>'s width for the columns left over, then in scalar code. Every entry is the same
/// chain of fused multiply-adds whichever of them computes it, so the width never changes a bit of the result.
/// </remarks>
internal static class TileMath
{
    /// <summary>
    /// <c>C[i, c] = (accumulate ? C[i, c] : 0) + alpha · Σ_t A[i, t] · B[t, c]</c> for <c>i &lt; m</c>, <c>c &lt; n</c>,
    /// <c>t &lt; k</c>, where <c>A[i, t] = a[i·aRow + t·aColumn]</c>, <c>B[t, c] = b[t·ldb + c]</c> and
    /// <c>C[i, c] = c[i·ldc + c]</c>. The sum is accumulated in T from t = 0 upwards, the same order for every entry.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<T>(
        ref T a, int aRow, int aColumn, ref T b, int ldb, ref T c, int ldc, int m, int k, int n, T alpha, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int column = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            column = MultiplyVectors<WideLanes<T>, Vector512<T>, T>(ref a, aRow, aColumn, ref b, ldb, ref c, ldc, m, k, column, n, alpha, accumulate);
        }

        column = MultiplyVectors<NativeLanes<T>, Vector<T>, T>(ref a, aRow, aColumn, ref b, ldb, ref c, ldc, m, k, column, n, alpha, accumulate);
        MultiplyScalars(ref a, aRow, aColumn, ref b, ldb, ref c, ldc, m, k, column, n, alpha, accumulate);
    }

    /// <summary>
    /// <see cref="Multiply{T}"/> at one width only (whole vectors of <typeparamref name="TLanes"/>, then scalar
    /// columns): what the tests compare each width with, whatever the machine running them accelerates.
    /// </summary>
    internal static void Multiply<TLanes, TVector, T>(
        ref T a, int aRow, int aColumn, ref T b, int ldb, ref T c, int ldc, int m, int k, int n, T alpha, bool accumulate)
        where TLanes : ISimdLanes<TVector, T>
        where TVector : struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int column = MultiplyVectors<TLanes, TVector, T>(ref a, aRow, aColumn, ref b, ldb, ref c, ldc, m, k, 0, n, alpha, accumulate);
        MultiplyScalars(ref a, aRow, aColumn, ref b, ldb, ref c, ldc, m, k, column, n, alpha, accumulate);
    }

    /// <summary>
    /// The product's columns from <paramref name="from"/> on, in as many whole vectors of <typeparamref name="TLanes"/>
    /// as fit before <paramref name="n"/>; returns the first column left over.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int MultiplyVectors<TLanes, TVector, T>(
        ref T a, int aRow, int aColumn, ref T b, int ldb, ref T c, int ldc, int m, int k, int from, int n, T alpha, bool accumulate)
        where TLanes : ISimdLanes<TVector, T>
        where TVector : struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = TLanes.Count;
        int vectorEnd = from + (n - from) / width * width, pairEnd = from + (n - from) / (2 * width) * (2 * width);
        if (vectorEnd == from)
        {
            return from;
        }

        TVector scale = TLanes.Broadcast(alpha);
        // Offsets in native integers: a row stride times a row index may pass int.MaxValue.
        nint rowStride = aRow, columnStride = aColumn, bStride = ldb, cStride = ldc;
        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            ref T a0 = ref Unsafe.Add(ref a, i * rowStride);
            ref T a1 = ref Unsafe.Add(ref a0, rowStride);
            ref T a2 = ref Unsafe.Add(ref a1, rowStride);
            ref T a3 = ref Unsafe.Add(ref a2, rowStride);
            ref T c0 = ref Unsafe.Add(ref c, i * cStride);
            ref T c1 = ref Unsafe.Add(ref c0, cStride);
            ref T c2 = ref Unsafe.Add(ref c1, cStride);
            ref T c3 = ref Unsafe.Add(ref c2, cStride);
            int column = from;
            for (; column < pairEnd; column += 2 * width)
            {
                TVector s00 = TLanes.Zero, s01 = TLanes.Zero, s10 = TLanes.Zero, s11 = TLanes.Zero;
                TVector s20 = TLanes.Zero, s21 = TLanes.Zero, s30 = TLanes.Zero, s31 = TLanes.Zero;
                ref T bColumn = ref Unsafe.Add(ref b, column);
                for (int t = 0; t < k; t++)
                {
                    ref T bt = ref Unsafe.Add(ref bColumn, t * bStride);
                    TVector b0 = TLanes.Load(ref bt, 0), b1 = TLanes.Load(ref bt, (nuint)width);
                    nint at = t * columnStride;
                    TVector x0 = TLanes.Broadcast(Unsafe.Add(ref a0, at));
                    TVector x1 = TLanes.Broadcast(Unsafe.Add(ref a1, at));
                    TVector x2 = TLanes.Broadcast(Unsafe.Add(ref a2, at));
                    TVector x3 = TLanes.Broadcast(Unsafe.Add(ref a3, at));
                    s00 = TLanes.MultiplyAdd(x0, b0, s00); s01 = TLanes.MultiplyAdd(x0, b1, s01);
                    s10 = TLanes.MultiplyAdd(x1, b0, s10); s11 = TLanes.MultiplyAdd(x1, b1, s11);
                    s20 = TLanes.MultiplyAdd(x2, b0, s20); s21 = TLanes.MultiplyAdd(x2, b1, s21);
                    s30 = TLanes.MultiplyAdd(x3, b0, s30); s31 = TLanes.MultiplyAdd(x3, b1, s31);
                }

                Store<TLanes, TVector, T>(s00, scale, ref c0, column, accumulate); Store<TLanes, TVector, T>(s01, scale, ref c0, column + width, accumulate);
                Store<TLanes, TVector, T>(s10, scale, ref c1, column, accumulate); Store<TLanes, TVector, T>(s11, scale, ref c1, column + width, accumulate);
                Store<TLanes, TVector, T>(s20, scale, ref c2, column, accumulate); Store<TLanes, TVector, T>(s21, scale, ref c2, column + width, accumulate);
                Store<TLanes, TVector, T>(s30, scale, ref c3, column, accumulate); Store<TLanes, TVector, T>(s31, scale, ref c3, column + width, accumulate);
            }

            for (; column < vectorEnd; column += width)
            {
                TVector s0 = TLanes.Zero, s1 = TLanes.Zero, s2 = TLanes.Zero, s3 = TLanes.Zero;
                ref T bColumn = ref Unsafe.Add(ref b, column);
                for (int t = 0; t < k; t++)
                {
                    TVector bt = TLanes.Load(ref Unsafe.Add(ref bColumn, t * bStride), 0);
                    nint at = t * columnStride;
                    s0 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref a0, at)), bt, s0);
                    s1 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref a1, at)), bt, s1);
                    s2 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref a2, at)), bt, s2);
                    s3 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref a3, at)), bt, s3);
                }

                Store<TLanes, TVector, T>(s0, scale, ref c0, column, accumulate);
                Store<TLanes, TVector, T>(s1, scale, ref c1, column, accumulate);
                Store<TLanes, TVector, T>(s2, scale, ref c2, column, accumulate);
                Store<TLanes, TVector, T>(s3, scale, ref c3, column, accumulate);
            }
        }

        for (; i < m; i++)
        {
            ref T ai = ref Unsafe.Add(ref a, i * rowStride);
            ref T ci = ref Unsafe.Add(ref c, i * cStride);
            for (int column = from; column < vectorEnd; column += width)
            {
                TVector sum = TLanes.Zero;
                ref T bColumn = ref Unsafe.Add(ref b, column);
                for (int t = 0; t < k; t++)
                {
                    sum = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref ai, t * columnStride)), TLanes.Load(ref Unsafe.Add(ref bColumn, t * bStride), 0), sum);
                }

                Store<TLanes, TVector, T>(sum, scale, ref ci, column, accumulate);
            }
        }

        return vectorEnd;
    }

    /// <summary>
    /// <c>destination[t·ldd + j] = source[j·lds + t]</c> for <c>j &lt; rows</c>, <c>t &lt; columns</c>, and zero in the
    /// destination's columns <c>rows ≤ j &lt; paddedRows</c>: a block of K or V turned so that its keys run along SIMD lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose<T>(ref T source, int lds, int rows, int columns, ref T destination, int ldd, int paddedRows)
        where T : unmanaged
    {
        nint sourceStride = lds, destinationStride = ldd;
        for (int t = 0; t < columns; t++)
        {
            ref T target = ref Unsafe.Add(ref destination, t * destinationStride);
            int j = 0;
            for (; j < rows; j++)
            {
                Unsafe.Add(ref target, j) = Unsafe.Add(ref source, j * sourceStride + t);
            }

            for (; j < paddedRows; j++)
            {
                Unsafe.Add(ref target, j) = default;
            }
        }
    }

    /// <summary>a·b + c in one rounding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Fma<T>(Vector<T> a, Vector<T> b, Vector<T> c)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return Vector.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        }

        return Vector.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
    }

    /// <summary>e raised to each lane (the same routine the generated row kernels use at <see cref="Vector{T}"/>'s width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Exp<T>(Vector<T> x)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return VectorMath.Exp(x.As<T, float>()).As<float, T>();
        }

        return VectorMath.Exp(x.As<T, double>()).As<double, T>();
    }

    /// <summary>The largest lane, NaN if any lane is NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MaxAcross<T>(Vector<T> x)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            float max = VectorMath.MaxAcross(x.As<T, float>());
            return Unsafe.As<float, T>(ref max);
        }

        double maxDouble = VectorMath.MaxAcross(x.As<T, double>());
        return Unsafe.As<double, T>(ref maxDouble);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TLanes, TVector, T>(TVector sum, TVector scale, ref T row, int column, bool accumulate)
        where TLanes : ISimdLanes<TVector, T>
        where TVector : struct
        where T : unmanaged
    {
        TVector value = TLanes.Multiply(sum, scale);
        if (accumulate)
        {
            value = TLanes.Add(value, TLanes.Load(ref row, (nuint)column));
        }

        TLanes.Store(value, ref row, (nuint)column);
    }

    /// <summary>The columns past the last whole vector (head sizes that are not a multiple of the lane count).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyScalars<T>(
        ref T a, int aRow, int aColumn, ref T b, int ldb, ref T c, int ldc, int m, int k, int from, int n, T alpha, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (from >= n)
        {
            return; // every column was a whole vector
        }

        nint rowStride = aRow, columnStride = aColumn, bStride = ldb, cStride = ldc;
        for (int i = 0; i < m; i++)
        {
            ref T ai = ref Unsafe.Add(ref a, i * rowStride);
            ref T ci = ref Unsafe.Add(ref c, i * cStride);
            for (int column = from; column < n; column++)
            {
                T sum = T.Zero;
                for (int t = 0; t < k; t++)
                {
                    sum = T.FusedMultiplyAdd(Unsafe.Add(ref ai, t * columnStride), Unsafe.Add(ref b, t * bStride + column), sum);
                }

                ref T target = ref Unsafe.Add(ref ci, column);
                target = accumulate ? target + sum * alpha : sum * alpha;
            }
        }
    }
}
