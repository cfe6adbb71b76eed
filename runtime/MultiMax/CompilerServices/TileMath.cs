using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MultiMax.CompilerServices;

/// <summary>
/// The small dense products of the fused attention tiles, register-blocked over SIMD lanes: six rows of the result
/// by two vectors of its columns are held in registers while the shared dimension streams through, so each pair of
/// loaded vectors feeds twelve fused multiply-adds.
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
    /// as fit before <paramref name="n"/>; returns the first column left over. Rows go six at a time, then four, then two,
    /// then one: six rows by two vectors are twelve independent chains of multiply-adds (enough to cover a multiply-add's
    /// latency on two pipes), and each pair of loaded B vectors feeds twelve of them rather than eight, with one register
    /// for the broadcasts of A (16 in all at 256 bits). How the rows are grouped changes no bit: every entry is the same
    /// chain whichever block computes it. A and B are walked by offsets from a fixed reference, never by a moving one, so
    /// that no reference points past an operand's end after the last step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int MultiplyVectors<TLanes, TVector, T>(
        ref T a, int aRow, int aColumn, ref T b, int ldb, ref T c, int ldc, int m, int k, int from, int n, T alpha, bool accumulate)
        where TLanes : ISimdLanes<TVector, T>
        where TVector : struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = TLanes.Count;
        int vectorEnd = from + (n - from) / width * width;
        if (vectorEnd == from)
        {
            return from;
        }

        // Offsets in native integers: a row stride times a row index may pass int.MaxValue.
        var operands = new Operands<T>(aRow, aColumn, ldb, ldc, k, from, vectorEnd, from + (n - from) / (2 * width) * (2 * width), alpha, accumulate);
        int i = 0;
        for (; i + 6 <= m; i += 6)
        {
            SixRows<TLanes, TVector, T>(ref Unsafe.Add(ref a, i * operands.RowStride), ref b, ref Unsafe.Add(ref c, i * operands.CStride), operands);
        }

        for (; i + 4 <= m; i += 4)
        {
            FourRows<TLanes, TVector, T>(ref Unsafe.Add(ref a, i * operands.RowStride), ref b, ref Unsafe.Add(ref c, i * operands.CStride), operands);
        }

        for (; i + 2 <= m; i += 2)
        {
            TwoRows<TLanes, TVector, T>(ref Unsafe.Add(ref a, i * operands.RowStride), ref b, ref Unsafe.Add(ref c, i * operands.CStride), operands);
        }

        for (; i < m; i++)
        {
            OneRow<TLanes, TVector, T>(ref Unsafe.Add(ref a, i * operands.RowStride), ref b, ref Unsafe.Add(ref c, i * operands.CStride), operands);
        }

        return vectorEnd;
    }

    /// <summary>
    /// The strides and extents of one product, shared by its row blocks: A's row and column strides, B's and C's row
    /// strides (native integers), the shared dimension, the columns [From, VectorEnd) the vectors cover and the end of
    /// the whole pairs of vectors among them.
    /// </summary>
    private readonly record struct Operands<T>(
        nint RowStride, nint ColumnStride, nint BStride, nint CStride, int K, int From, int VectorEnd, int PairEnd, T Alpha, bool Accumulate);

    /// <summary>Rows a[0..6) of the product: two vectors of columns at a time, then one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SixRows<TLanes, TVector, T>(ref T a0, ref T b, ref T c0, in Operands<T> o)
        where TLanes : ISimdLanes<TVector, T>
        where TVector : struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = TLanes.Count;
        nint columnStride = o.ColumnStride, bStride = o.BStride;
        ref T a1 = ref Unsafe.Add(ref a0, o.RowStride);
        ref T a2 = ref Unsafe.Add(ref a1, o.RowStride);
        ref T a3 = ref Unsafe.Add(ref a2, o.RowStride);
        ref T a4 = ref Unsafe.Add(ref a3, o.RowStride);
        ref T a5 = ref Unsafe.Add(ref a4, o.RowStride);
        ref T c1 = ref Unsafe.Add(ref c0, o.CStride);
        ref T c2 = ref Unsafe.Add(ref c1, o.CStride);
        ref T c3 = ref Unsafe.Add(ref c2, o.CStride);
        ref T c4 = ref Unsafe.Add(ref c3, o.CStride);
        ref T c5 = ref Unsafe.Add(ref c4, o.CStride);
        int column = o.From;
        for (; column < o.PairEnd; column += 2 * width)
        {
            TVector s00 = TLanes.Zero, s01 = TLanes.Zero, s10 = TLanes.Zero, s11 = TLanes.Zero, s20 = TLanes.Zero, s21 = TLanes.Zero;
            TVector s30 = TLanes.Zero, s31 = TLanes.Zero, s40 = TLanes.Zero, s41 = TLanes.Zero, s50 = TLanes.Zero, s51 = TLanes.Zero;
            ref T bColumn = ref Unsafe.Add(ref b, column);
            nint at = 0, bt = 0;
            for (int t = 0; t < o.K; t++, at += columnStride, bt += bStride)
            {
                // Each broadcast is used at once by both columns' chains, so one register serves all six rows.
                TVector b0 = TLanes.Load(ref bColumn, (nuint)bt), b1 = TLanes.Load(ref bColumn, (nuint)(bt + width));
                TVector x = TLanes.Broadcast(Unsafe.Add(ref a0, at));
                s00 = TLanes.MultiplyAdd(x, b0, s00); s01 = TLanes.MultiplyAdd(x, b1, s01);
                x = TLanes.Broadcast(Unsafe.Add(ref a1, at));
                s10 = TLanes.MultiplyAdd(x, b0, s10); s11 = TLanes.MultiplyAdd(x, b1, s11);
                x = TLanes.Broadcast(Unsafe.Add(ref a2, at));
                s20 = TLanes.MultiplyAdd(x, b0, s20); s21 = TLanes.MultiplyAdd(x, b1, s21);
                x = TLanes.Broadcast(Unsafe.Add(ref a3, at));
                s30 = TLanes.MultiplyAdd(x, b0, s30); s31 = TLanes.MultiplyAdd(x, b1, s31);
                x = TLanes.Broadcast(Unsafe.Add(ref a4, at));
                s40 = TLanes.MultiplyAdd(x, b0, s40); s41 = TLanes.MultiplyAdd(x, b1, s41);
                x = TLanes.Broadcast(Unsafe.Add(ref a5, at));
                s50 = TLanes.MultiplyAdd(x, b0, s50); s51 = TLanes.MultiplyAdd(x, b1, s51);
            }

            StorePair<TLanes, TVector, T>(s00, s01, ref c0, column, o);
            StorePair<TLanes, TVector, T>(s10, s11, ref c1, column, o);
            StorePair<TLanes, TVector, T>(s20, s21, ref c2, column, o);
            StorePair<TLanes, TVector, T>(s30, s31, ref c3, column, o);
            StorePair<TLanes, TVector, T>(s40, s41, ref c4, column, o);
            StorePair<TLanes, TVector, T>(s50, s51, ref c5, column, o);
        }

        for (; column < o.VectorEnd; column += width)
        {
            TVector s0 = TLanes.Zero, s1 = TLanes.Zero, s2 = TLanes.Zero, s3 = TLanes.Zero, s4 = TLanes.Zero, s5 = TLanes.Zero;
            ref T bColumn = ref Unsafe.Add(ref b, column);
            nint at = 0, bt = 0;
            for (int t = 0; t < o.K; t++, at += columnStride, bt += bStride)
            {
                TVector b0 = TLanes.Load(ref bColumn, (nuint)bt);
                s0 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref a0, at)), b0, s0);
                s1 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref a1, at)), b0, s1);
                s2 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref a2, at)), b0, s2);
                s3 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref a3, at)), b0, s3);
                s4 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref a4, at)), b0, s4);
                s5 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref a5, at)), b0, s5);
            }

            Store<TLanes, TVector, T>(s0, ref c0, column, o);
            Store<TLanes, TVector, T>(s1, ref c1, column, o);
            Store<TLanes, TVector, T>(s2, ref c2, column, o);
            Store<TLanes, TVector, T>(s3, ref c3, column, o);
            Store<TLanes, TVector, T>(s4, ref c4, column, o);
            Store<TLanes, TVector, T>(s5, ref c5, column, o);
        }
    }

    /// <summary>
    /// Rows a[0..4) of the product (what six-row blocks leave of at least four): two vectors of columns at a time, then
    /// one. The loop of <see cref="SixRows"/> with four rows: a block's rows are its registers, so their count cannot be
    /// a parameter.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourRows<TLanes, TVector, T>(ref T a0, ref T b, ref T c0, in Operands<T> o)
        where TLanes : ISimdLanes<TVector, T>
        where TVector : struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = TLanes.Count;
        nint columnStride = o.ColumnStride, bStride = o.BStride;
        ref T a1 = ref Unsafe.Add(ref a0, o.RowStride);
        ref T a2 = ref Unsafe.Add(ref a1, o.RowStride);
        ref T a3 = ref Unsafe.Add(ref a2, o.RowStride);
        ref T c1 = ref Unsafe.Add(ref c0, o.CStride);
        ref T c2 = ref Unsafe.Add(ref c1, o.CStride);
        ref T c3 = ref Unsafe.Add(ref c2, o.CStride);
        int column = o.From;
        for (; column < o.PairEnd; column += 2 * width)
        {
            TVector s00 = TLanes.Zero, s01 = TLanes.Zero, s10 = TLanes.Zero, s11 = TLanes.Zero;
            TVector s20 = TLanes.Zero, s21 = TLanes.Zero, s30 = TLanes.Zero, s31 = TLanes.Zero;
            ref T bColumn = ref Unsafe.Add(ref b, column);
            nint at = 0, bt = 0;
            for (int t = 0; t < o.K; t++, at += columnStride, bt += bStride)
            {
                TVector b0 = TLanes.Load(ref bColumn, (nuint)bt), b1 = TLanes.Load(ref bColumn, (nuint)(bt + width));
                TVector x = TLanes.Broadcast(Unsafe.Add(ref a0, at));
                s00 = TLanes.MultiplyAdd(x, b0, s00); s01 = TLanes.MultiplyAdd(x, b1, s01);
                x = TLanes.Broadcast(Unsafe.Add(ref a1, at));
                s10 = TLanes.MultiplyAdd(x, b0, s10); s11 = TLanes.MultiplyAdd(x, b1, s11);
                x = TLanes.Broadcast(Unsafe.Add(ref a2, at));
                s20 = TLanes.MultiplyAdd(x, b0, s20); s21 = TLanes.MultiplyAdd(x, b1, s21);
                x = TLanes.Broadcast(Unsafe.Add(ref a3, at));
                s30 = TLanes.MultiplyAdd(x, b0, s30); s31 = TLanes.MultiplyAdd(x, b1, s31);
            }

            StorePair<TLanes, TVector, T>(s00, s01, ref c0, column, o);
            StorePair<TLanes, TVector, T>(s10, s11, ref c1, column, o);
            StorePair<TLanes, TVector, T>(s20, s21, ref c2, column, o);
            StorePair<TLanes, TVector, T>(s30, s31, ref c3, column, o);
        }

        for (; column < o.VectorEnd; column += width)
        {
            TVector s0 = TLanes.Zero, s1 = TLanes.Zero, s2 = TLanes.Zero, s3 = TLanes.Zero;
            ref T bColumn = ref Unsafe.Add(ref b, column);
            nint at = 0, bt = 0;
            for (int t = 0; t < o.K; t++, at += columnStride, bt += bStride)
            {
                TVector b0 = TLanes.Load(ref bColumn, (nuint)bt);
                s0 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref a0, at)), b0, s0);
                s1 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref a1, at)), b0, s1);
                s2 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref a2, at)), b0, s2);
                s3 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref a3, at)), b0, s3);
            }

            Store<TLanes, TVector, T>(s0, ref c0, column, o);
            Store<TLanes, TVector, T>(s1, ref c1, column, o);
            Store<TLanes, TVector, T>(s2, ref c2, column, o);
            Store<TLanes, TVector, T>(s3, ref c3, column, o);
        }
    }

    /// <summary>
    /// Rows a[0..2) of the product: four vectors of columns at a time (eight chains, each loaded B vector feeding both
    /// rows: the last two of a decode step's eight P·V rows), then two, then one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TwoRows<TLanes, TVector, T>(ref T a0, ref T b, ref T c0, in Operands<T> o)
        where TLanes : ISimdLanes<TVector, T>
        where TVector : struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = TLanes.Count;
        nint columnStride = o.ColumnStride, bStride = o.BStride;
        ref T a1 = ref Unsafe.Add(ref a0, o.RowStride);
        ref T c1 = ref Unsafe.Add(ref c0, o.CStride);
        int column = o.From;
        for (; column + 4 * width <= o.PairEnd; column += 4 * width)
        {
            TVector s00 = TLanes.Zero, s01 = TLanes.Zero, s02 = TLanes.Zero, s03 = TLanes.Zero;
            TVector s10 = TLanes.Zero, s11 = TLanes.Zero, s12 = TLanes.Zero, s13 = TLanes.Zero;
            ref T bColumn = ref Unsafe.Add(ref b, column);
            nint at = 0, bt = 0;
            for (int t = 0; t < o.K; t++, at += columnStride, bt += bStride)
            {
                TVector b0 = TLanes.Load(ref bColumn, (nuint)bt), b1 = TLanes.Load(ref bColumn, (nuint)(bt + width));
                TVector b2 = TLanes.Load(ref bColumn, (nuint)(bt + 2 * width)), b3 = TLanes.Load(ref bColumn, (nuint)(bt + 3 * width));
                TVector x = TLanes.Broadcast(Unsafe.Add(ref a0, at));
                s00 = TLanes.MultiplyAdd(x, b0, s00); s01 = TLanes.MultiplyAdd(x, b1, s01);
                s02 = TLanes.MultiplyAdd(x, b2, s02); s03 = TLanes.MultiplyAdd(x, b3, s03);
                x = TLanes.Broadcast(Unsafe.Add(ref a1, at));
                s10 = TLanes.MultiplyAdd(x, b0, s10); s11 = TLanes.MultiplyAdd(x, b1, s11);
                s12 = TLanes.MultiplyAdd(x, b2, s12); s13 = TLanes.MultiplyAdd(x, b3, s13);
            }

            StorePair<TLanes, TVector, T>(s00, s01, ref c0, column, o);
            StorePair<TLanes, TVector, T>(s02, s03, ref c0, column + 2 * width, o);
            StorePair<TLanes, TVector, T>(s10, s11, ref c1, column, o);
            StorePair<TLanes, TVector, T>(s12, s13, ref c1, column + 2 * width, o);
        }

        for (; column < o.PairEnd; column += 2 * width)
        {
            TVector s00 = TLanes.Zero, s01 = TLanes.Zero, s10 = TLanes.Zero, s11 = TLanes.Zero;
            ref T bColumn = ref Unsafe.Add(ref b, column);
            nint at = 0, bt = 0;
            for (int t = 0; t < o.K; t++, at += columnStride, bt += bStride)
            {
                TVector b0 = TLanes.Load(ref bColumn, (nuint)bt), b1 = TLanes.Load(ref bColumn, (nuint)(bt + width));
                TVector x = TLanes.Broadcast(Unsafe.Add(ref a0, at));
                s00 = TLanes.MultiplyAdd(x, b0, s00); s01 = TLanes.MultiplyAdd(x, b1, s01);
                x = TLanes.Broadcast(Unsafe.Add(ref a1, at));
                s10 = TLanes.MultiplyAdd(x, b0, s10); s11 = TLanes.MultiplyAdd(x, b1, s11);
            }

            StorePair<TLanes, TVector, T>(s00, s01, ref c0, column, o);
            StorePair<TLanes, TVector, T>(s10, s11, ref c1, column, o);
        }

        for (; column < o.VectorEnd; column += width)
        {
            TVector s0 = TLanes.Zero, s1 = TLanes.Zero;
            ref T bColumn = ref Unsafe.Add(ref b, column);
            nint at = 0, bt = 0;
            for (int t = 0; t < o.K; t++, at += columnStride, bt += bStride)
            {
                TVector b0 = TLanes.Load(ref bColumn, (nuint)bt);
                s0 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref a0, at)), b0, s0);
                s1 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref a1, at)), b0, s1);
            }

            Store<TLanes, TVector, T>(s0, ref c0, column, o);
            Store<TLanes, TVector, T>(s1, ref c1, column, o);
        }
    }

    /// <summary>
    /// One row of the product: four vectors of columns at a time (four chains: a decode step's P·V is one row over the
    /// whole head size), then two, then one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneRow<TLanes, TVector, T>(ref T a0, ref T b, ref T c0, in Operands<T> o)
        where TLanes : ISimdLanes<TVector, T>
        where TVector : struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = TLanes.Count;
        nint columnStride = o.ColumnStride, bStride = o.BStride;
        int column = o.From;
        for (; column + 4 * width <= o.PairEnd; column += 4 * width)
        {
            TVector s0 = TLanes.Zero, s1 = TLanes.Zero, s2 = TLanes.Zero, s3 = TLanes.Zero;
            ref T bColumn = ref Unsafe.Add(ref b, column);
            nint at = 0, bt = 0;
            for (int t = 0; t < o.K; t++, at += columnStride, bt += bStride)
            {
                TVector x = TLanes.Broadcast(Unsafe.Add(ref a0, at));
                s0 = TLanes.MultiplyAdd(x, TLanes.Load(ref bColumn, (nuint)bt), s0);
                s1 = TLanes.MultiplyAdd(x, TLanes.Load(ref bColumn, (nuint)(bt + width)), s1);
                s2 = TLanes.MultiplyAdd(x, TLanes.Load(ref bColumn, (nuint)(bt + 2 * width)), s2);
                s3 = TLanes.MultiplyAdd(x, TLanes.Load(ref bColumn, (nuint)(bt + 3 * width)), s3);
            }

            StorePair<TLanes, TVector, T>(s0, s1, ref c0, column, o);
            StorePair<TLanes, TVector, T>(s2, s3, ref c0, column + 2 * width, o);
        }

        for (; column < o.PairEnd; column += 2 * width)
        {
            TVector s0 = TLanes.Zero, s1 = TLanes.Zero;
            ref T bColumn = ref Unsafe.Add(ref b, column);
            nint at = 0, bt = 0;
            for (int t = 0; t < o.K; t++, at += columnStride, bt += bStride)
            {
                TVector x = TLanes.Broadcast(Unsafe.Add(ref a0, at));
                s0 = TLanes.MultiplyAdd(x, TLanes.Load(ref bColumn, (nuint)bt), s0);
                s1 = TLanes.MultiplyAdd(x, TLanes.Load(ref bColumn, (nuint)(bt + width)), s1);
            }

            StorePair<TLanes, TVector, T>(s0, s1, ref c0, column, o);
        }

        for (; column < o.VectorEnd; column += width)
        {
            TVector s0 = TLanes.Zero;
            ref T bColumn = ref Unsafe.Add(ref b, column);
            nint at = 0, bt = 0;
            for (int t = 0; t < o.K; t++, at += columnStride, bt += bStride)
            {
                s0 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref a0, at)), TLanes.Load(ref bColumn, (nuint)bt), s0);
            }

            Store<TLanes, TVector, T>(s0, ref c0, column, o);
        }
    }

    /// <summary>
    /// <c>destination[t·ldd + j] = source[j·lds + t]</c> for <c>j &lt; rows</c>, <c>t &lt; columns</c>, and zero in the
    /// destination's columns <c>rows ≤ j &lt; paddedRows</c>: a block of K or V turned so that its keys run along SIMD lanes.
    /// </summary>
    /// <remarks>
    /// With AVX, whole 8 × 8 float (4 × 4 double) squares are turned in registers, eight row loads and eight stores
    /// each, where element by element every entry was a load and a store of its own.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose<T>(ref T source, int lds, int rows, int columns, ref T destination, int ldd, int paddedRows)
        where T : unmanaged
    {
        (int squareRows, int squareColumns) = (0, 0);
        if (Avx.IsSupported && typeof(T) == typeof(float))
        {
            (squareRows, squareColumns) = TransposeSquares(ref Unsafe.As<T, float>(ref source), lds, rows, columns, ref Unsafe.As<T, float>(ref destination), ldd);
        }
        else if (Avx.IsSupported && typeof(T) == typeof(double))
        {
            (squareRows, squareColumns) = TransposeSquares(ref Unsafe.As<T, double>(ref source), lds, rows, columns, ref Unsafe.As<T, double>(ref destination), ldd);
        }

        nint sourceStride = lds, destinationStride = ldd;
        for (int t = 0; t < columns; t++)
        {
            ref T target = ref Unsafe.Add(ref destination, t * destinationStride);
            int j = t < squareColumns ? squareRows : 0; // the squares wrote [0, squareRows) of these columns
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

    /// <summary>The whole 8 × 8 squares of a float transpose; returns the rows and columns they covered.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (int Rows, int Columns) TransposeSquares(ref float source, int lds, int rows, int columns, ref float destination, int ldd)
    {
        int squareRows = rows & ~7, squareColumns = columns & ~7;
        nint sourceStride = lds, destinationStride = ldd;
        for (int j = 0; j < squareRows; j += 8)
        {
            ref float row = ref Unsafe.Add(ref source, j * sourceStride);
            for (int t = 0; t < squareColumns; t += 8)
            {
                ref float corner = ref Unsafe.Add(ref row, t);
                Vector256<float> r0 = Vector256.LoadUnsafe(ref corner), r1 = Vector256.LoadUnsafe(ref corner, (nuint)sourceStride);
                Vector256<float> r2 = Vector256.LoadUnsafe(ref corner, (nuint)(2 * sourceStride)), r3 = Vector256.LoadUnsafe(ref corner, (nuint)(3 * sourceStride));
                Vector256<float> r4 = Vector256.LoadUnsafe(ref corner, (nuint)(4 * sourceStride)), r5 = Vector256.LoadUnsafe(ref corner, (nuint)(5 * sourceStride));
                Vector256<float> r6 = Vector256.LoadUnsafe(ref corner, (nuint)(6 * sourceStride)), r7 = Vector256.LoadUnsafe(ref corner, (nuint)(7 * sourceStride));

                // Pairs of rows interleaved, then pairs of pairs, then the 128-bit halves swapped into place.
                Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
                Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
                Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE), s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
                Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE), s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);

                ref float target = ref Unsafe.Add(ref destination, t * destinationStride + j);
                Avx.Permute2x128(s0, s4, 0x20).StoreUnsafe(ref target);
                Avx.Permute2x128(s1, s5, 0x20).StoreUnsafe(ref target, (nuint)destinationStride);
                Avx.Permute2x128(s2, s6, 0x20).StoreUnsafe(ref target, (nuint)(2 * destinationStride));
                Avx.Permute2x128(s3, s7, 0x20).StoreUnsafe(ref target, (nuint)(3 * destinationStride));
                Avx.Permute2x128(s0, s4, 0x31).StoreUnsafe(ref target, (nuint)(4 * destinationStride));
                Avx.Permute2x128(s1, s5, 0x31).StoreUnsafe(ref target, (nuint)(5 * destinationStride));
                Avx.Permute2x128(s2, s6, 0x31).StoreUnsafe(ref target, (nuint)(6 * destinationStride));
                Avx.Permute2x128(s3, s7, 0x31).StoreUnsafe(ref target, (nuint)(7 * destinationStride));
            }
        }

        return (squareRows, squareColumns);
    }

    /// <summary>The whole 4 × 4 squares of a double transpose; returns the rows and columns they covered.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (int Rows, int Columns) TransposeSquares(ref double source, int lds, int rows, int columns, ref double destination, int ldd)
    {
        int squareRows = rows & ~3, squareColumns = columns & ~3;
        nint sourceStride = lds, destinationStride = ldd;
        for (int j = 0; j < squareRows; j += 4)
        {
            ref double row = ref Unsafe.Add(ref source, j * sourceStride);
            for (int t = 0; t < squareColumns; t += 4)
            {
                ref double corner = ref Unsafe.Add(ref row, t);
                Vector256<double> r0 = Vector256.LoadUnsafe(ref corner), r1 = Vector256.LoadUnsafe(ref corner, (nuint)sourceStride);
                Vector256<double> r2 = Vector256.LoadUnsafe(ref corner, (nuint)(2 * sourceStride)), r3 = Vector256.LoadUnsafe(ref corner, (nuint)(3 * sourceStride));
                Vector256<double> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);

                ref double target = ref Unsafe.Add(ref destination, t * destinationStride + j);
                Avx.Permute2x128(t0, t2, 0x20).StoreUnsafe(ref target);
                Avx.Permute2x128(t1, t3, 0x20).StoreUnsafe(ref target, (nuint)destinationStride);
                Avx.Permute2x128(t0, t2, 0x31).StoreUnsafe(ref target, (nuint)(2 * destinationStride));
                Avx.Permute2x128(t1, t3, 0x31).StoreUnsafe(ref target, (nuint)(3 * destinationStride));
            }
        }

        return (squareRows, squareColumns);
    }

    /// <summary>
    /// scale·A·Bᵀ of a tile for a few rows of A (queries, or dO), each entry a dot product of an A row with a key (or value)
    /// row, four keys at a time (four independent chains of fused multiply-adds over the head size, then the lanes of
    /// all four added at once): a decode step reads each key once, where turning the keys first would read and write them all again.
    /// Written at row stride <paramref name="width"/> into <paramref name="tile"/>; columns past the last key get 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void DotsWithRows<T>(T* queryBlock, T* keyBlock, int headSize, int queries, int keys, int width, T scale, T[] tile)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = Vector<T>.Count, vectorEnd = headSize - headSize % lanes;
        for (int i = 0; i < queries; i++)
        {
            T* q = queryBlock + (long)i * headSize;
            Span<T> row = tile.AsSpan(i * width, width);
            int j = 0;
            for (; j + 4 <= keys; j += 4)
            {
                T* k0 = keyBlock + (long)j * headSize, k1 = k0 + headSize, k2 = k1 + headSize, k3 = k2 + headSize;
                Vector<T> s0 = Vector<T>.Zero, s1 = Vector<T>.Zero, s2 = Vector<T>.Zero, s3 = Vector<T>.Zero;
                for (int t = 0; t < vectorEnd; t += lanes)
                {
                    Vector<T> qt = Vector.Load(q + t);
                    s0 = Fma(qt, Vector.Load(k0 + t), s0);
                    s1 = Fma(qt, Vector.Load(k1 + t), s1);
                    s2 = Fma(qt, Vector.Load(k2 + t), s2);
                    s3 = Fma(qt, Vector.Load(k3 + t), s3);
                }

                if (vectorEnd == headSize)
                {
                    StoreScaledSums(s0, s1, s2, s3, scale, ref row[j]);
                    continue;
                }

                T d0 = Vector.Sum(s0), d1 = Vector.Sum(s1), d2 = Vector.Sum(s2), d3 = Vector.Sum(s3);
                for (int t = vectorEnd; t < headSize; t++)
                {
                    d0 = T.FusedMultiplyAdd(q[t], k0[t], d0);
                    d1 = T.FusedMultiplyAdd(q[t], k1[t], d1);
                    d2 = T.FusedMultiplyAdd(q[t], k2[t], d2);
                    d3 = T.FusedMultiplyAdd(q[t], k3[t], d3);
                }

                row[j] = d0 * scale;
                row[j + 1] = d1 * scale;
                row[j + 2] = d2 * scale;
                row[j + 3] = d3 * scale;
            }

            for (; j < keys; j++)
            {
                T* k = keyBlock + (long)j * headSize;
                Vector<T> s = Vector<T>.Zero;
                for (int t = 0; t < vectorEnd; t += lanes)
                {
                    s = Fma(Vector.Load(q + t), Vector.Load(k + t), s);
                }

                T dot = Vector.Sum(s);
                for (int t = vectorEnd; t < headSize; t++)
                {
                    dot = T.FusedMultiplyAdd(q[t], k[t], dot);
                }

                row[j] = dot * scale;
            }

            row[keys..].Clear();
        }
    }

    /// <summary>
    /// <c>destination[r] = scale · Σ lanes of sums[r]</c> for the four registers a, b, c, d: four dot products finished at
    /// once. With AVX the four registers are folded into one by horizontal additions (three, then the halves added),
    /// a few instructions where four sums across lanes would take several each; elsewhere each register is summed alone.
    /// Each register's lanes are added in the tree the BCL's 256-bit sum uses, so a score has the same bits whether its
    /// key is finished in a group of four or alone (TileMathTests pins it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreScaledSums<T>(Vector<T> a, Vector<T> b, Vector<T> c, Vector<T> d, T scale, ref T destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Avx.IsSupported && Vector<T>.Count * Unsafe.SizeOf<T>() == 32 && typeof(T) == typeof(float))
        {
            // [a0..3, b0..3, c0..3, d0..3 | a4..7, b4..7, c4..7, d4..7], then the halves added: [Σa, Σb, Σc, Σd].
            Vector256<float> folded = Avx.HorizontalAdd(
                Avx.HorizontalAdd(a.As<T, float>().AsVector256(), b.As<T, float>().AsVector256()),
                Avx.HorizontalAdd(c.As<T, float>().AsVector256(), d.As<T, float>().AsVector256()));
            Vector128<float> sums = folded.GetLower() + folded.GetUpper();
            (sums * Unsafe.As<T, float>(ref scale)).StoreUnsafe(ref Unsafe.As<T, float>(ref destination));
            return;
        }

        if (Avx.IsSupported && Vector<T>.Count * Unsafe.SizeOf<T>() == 32 && typeof(T) == typeof(double))
        {
            // [a01, b01, a23, b23] and [c01, d01, c23, d23]; their low halves and their high halves, added.
            Vector256<double> ab = Avx.HorizontalAdd(a.As<T, double>().AsVector256(), b.As<T, double>().AsVector256());
            Vector256<double> cd = Avx.HorizontalAdd(c.As<T, double>().AsVector256(), d.As<T, double>().AsVector256());
            Vector256<double> sums = Avx.Permute2x128(ab, cd, 0x20) + Avx.Permute2x128(ab, cd, 0x31);
            (sums * Unsafe.As<T, double>(ref scale)).StoreUnsafe(ref Unsafe.As<T, double>(ref destination));
            return;
        }

        destination = Vector.Sum(a) * scale;
        Unsafe.Add(ref destination, 1) = Vector.Sum(b) * scale;
        Unsafe.Add(ref destination, 2) = Vector.Sum(c) * scale;
        Unsafe.Add(ref destination, 3) = Vector.Sum(d) * scale;
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

    /// <summary>
    /// <see cref="Exp{T}"/> for the lanes of a tile row after its maximum (at most 0, or NaN), whose sum is at least 1:
    /// one clamp fewer, and float results below the smallest normal number flushed to 0
    /// (<see cref="VectorMath.ExpNonPositiveFlushed"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> ExpNonPositive<T>(Vector<T> x)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return VectorMath.ExpNonPositiveFlushed(x.As<T, float>()).As<float, T>();
        }

        return VectorMath.ExpNonPositive(x.As<T, double>()).As<double, T>();
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

    /// <summary>C's row at <paramref name="column"/>: alpha·sum, added to what is there when accumulating.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TLanes, TVector, T>(TVector sum, ref T row, int column, in Operands<T> o)
        where TLanes : ISimdLanes<TVector, T>
        where TVector : struct
        where T : unmanaged
    {
        TVector value = TLanes.Multiply(sum, TLanes.Broadcast(o.Alpha));
        if (o.Accumulate)
        {
            value = TLanes.Add(value, TLanes.Load(ref row, (nuint)column));
        }

        TLanes.Store(value, ref row, (nuint)column);
    }

    /// <summary>Two vectors of C's row from <paramref name="column"/> on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePair<TLanes, TVector, T>(TVector first, TVector second, ref T row, int column, in Operands<T> o)
        where TLanes : ISimdLanes<TVector, T>
        where TVector : struct
        where T : unmanaged
    {
        Store<TLanes, TVector, T>(first, ref row, column, o);
        Store<TLanes, TVector, T>(second, ref row, column + TLanes.Count, o);
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
