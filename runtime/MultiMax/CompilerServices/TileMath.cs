using System.Numerics;
using System.Runtime.CompilerServices;

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
        int width = Vector<T>.Count;
        int vectorEnd = n - n % width, pairEnd = n - n % (2 * width);
        var scale = new Vector<T>(alpha);
        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            ref T a0 = ref Unsafe.Add(ref a, i * aRow);
            ref T a1 = ref Unsafe.Add(ref a0, aRow);
            ref T a2 = ref Unsafe.Add(ref a1, aRow);
            ref T a3 = ref Unsafe.Add(ref a2, aRow);
            ref T c0 = ref Unsafe.Add(ref c, i * ldc);
            ref T c1 = ref Unsafe.Add(ref c0, ldc);
            ref T c2 = ref Unsafe.Add(ref c1, ldc);
            ref T c3 = ref Unsafe.Add(ref c2, ldc);
            int column = 0;
            for (; column < pairEnd; column += 2 * width)
            {
                Vector<T> s00 = default, s01 = default, s10 = default, s11 = default;
                Vector<T> s20 = default, s21 = default, s30 = default, s31 = default;
                ref T bColumn = ref Unsafe.Add(ref b, column);
                for (int t = 0; t < k; t++)
                {
                    ref T bt = ref Unsafe.Add(ref bColumn, t * ldb);
                    Vector<T> b0 = Vector.LoadUnsafe(ref bt), b1 = Vector.LoadUnsafe(ref bt, (nuint)width);
                    int at = t * aColumn;
                    var x0 = new Vector<T>(Unsafe.Add(ref a0, at));
                    var x1 = new Vector<T>(Unsafe.Add(ref a1, at));
                    var x2 = new Vector<T>(Unsafe.Add(ref a2, at));
                    var x3 = new Vector<T>(Unsafe.Add(ref a3, at));
                    s00 = Fma(x0, b0, s00); s01 = Fma(x0, b1, s01);
                    s10 = Fma(x1, b0, s10); s11 = Fma(x1, b1, s11);
                    s20 = Fma(x2, b0, s20); s21 = Fma(x2, b1, s21);
                    s30 = Fma(x3, b0, s30); s31 = Fma(x3, b1, s31);
                }

                Store(s00, scale, ref c0, column, accumulate); Store(s01, scale, ref c0, column + width, accumulate);
                Store(s10, scale, ref c1, column, accumulate); Store(s11, scale, ref c1, column + width, accumulate);
                Store(s20, scale, ref c2, column, accumulate); Store(s21, scale, ref c2, column + width, accumulate);
                Store(s30, scale, ref c3, column, accumulate); Store(s31, scale, ref c3, column + width, accumulate);
            }

            for (; column < vectorEnd; column += width)
            {
                Vector<T> s0 = default, s1 = default, s2 = default, s3 = default;
                ref T bColumn = ref Unsafe.Add(ref b, column);
                for (int t = 0; t < k; t++)
                {
                    Vector<T> bt = Vector.LoadUnsafe(ref Unsafe.Add(ref bColumn, t * ldb));
                    int at = t * aColumn;
                    s0 = Fma(new Vector<T>(Unsafe.Add(ref a0, at)), bt, s0);
                    s1 = Fma(new Vector<T>(Unsafe.Add(ref a1, at)), bt, s1);
                    s2 = Fma(new Vector<T>(Unsafe.Add(ref a2, at)), bt, s2);
                    s3 = Fma(new Vector<T>(Unsafe.Add(ref a3, at)), bt, s3);
                }

                Store(s0, scale, ref c0, column, accumulate);
                Store(s1, scale, ref c1, column, accumulate);
                Store(s2, scale, ref c2, column, accumulate);
                Store(s3, scale, ref c3, column, accumulate);
            }

            for (int row = 0; row < 4; row++)
            {
                ScalarColumns(ref Unsafe.Add(ref a0, row * aRow), aColumn, ref b, ldb, ref Unsafe.Add(ref c0, row * ldc), k, vectorEnd, n, alpha, accumulate);
            }
        }

        for (; i < m; i++)
        {
            ref T ai = ref Unsafe.Add(ref a, i * aRow);
            ref T ci = ref Unsafe.Add(ref c, i * ldc);
            for (int column = 0; column < vectorEnd; column += width)
            {
                Vector<T> sum = default;
                ref T bColumn = ref Unsafe.Add(ref b, column);
                for (int t = 0; t < k; t++)
                {
                    sum = Fma(new Vector<T>(Unsafe.Add(ref ai, t * aColumn)), Vector.LoadUnsafe(ref Unsafe.Add(ref bColumn, t * ldb)), sum);
                }

                Store(sum, scale, ref ci, column, accumulate);
            }

            ScalarColumns(ref ai, aColumn, ref b, ldb, ref ci, k, vectorEnd, n, alpha, accumulate);
        }
    }

    /// <summary>
    /// <c>destination[t·ldd + j] = source[j·lds + t]</c> for <c>j &lt; rows</c>, <c>t &lt; columns</c>, and zero in the
    /// destination's columns <c>rows ≤ j &lt; paddedRows</c>: a block of K or V turned so that its keys run along SIMD lanes.
    /// </summary>
    public static void Transpose<T>(ref T source, int lds, int rows, int columns, ref T destination, int ldd, int paddedRows)
        where T : unmanaged
    {
        for (int t = 0; t < columns; t++)
        {
            ref T target = ref Unsafe.Add(ref destination, t * ldd);
            int j = 0;
            for (; j < rows; j++)
            {
                Unsafe.Add(ref target, j) = Unsafe.Add(ref source, j * lds + t);
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

    /// <summary>e raised to each lane (the same routine the generated row kernels use).</summary>
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
    private static void Store<T>(Vector<T> sum, Vector<T> scale, ref T row, int column, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector<T> value = sum * scale;
        if (accumulate)
        {
            value += Vector.LoadUnsafe(ref row, (nuint)column);
        }

        value.StoreUnsafe(ref row, (nuint)column);
    }

    /// <summary>The columns past the last whole vector (head sizes that are not a multiple of the lane count).</summary>
    private static void ScalarColumns<T>(ref T ai, int aColumn, ref T b, int ldb, ref T ci, int k, int from, int n, T alpha, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int column = from; column < n; column++)
        {
            T sum = T.Zero;
            for (int t = 0; t < k; t++)
            {
                sum = T.FusedMultiplyAdd(Unsafe.Add(ref ai, t * aColumn), Unsafe.Add(ref b, t * ldb + column), sum);
            }

            ref T target = ref Unsafe.Add(ref ci, column);
            target = accumulate ? target + sum * alpha : sum * alpha;
        }
    }
}
