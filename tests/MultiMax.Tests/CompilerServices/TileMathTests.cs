using System;
using System.Linq;
using System.Numerics;
using System.Runtime.Intrinsics;
using MultiMax.CompilerServices;
using MultiMax.Tests.Support;
using Xunit;

namespace MultiMax.Tests.CompilerServices;

/// <summary>
/// The tile products against a plain triple loop in double: every register-blocked path (blocks of six, four and two
/// rows and single rows; four vectors in a single row, pairs, single vectors, scalar columns), A plain and transposed,
/// overwriting and accumulating; at each SIMD width on its own (512 bits are emulated where the hardware lacks them)
/// and as the product mixes them.
/// The transpose against the definition, in whole squares, ragged edges and padding.
/// </summary>
public class TileMathTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var shapes = new TheoryData<int, int, int>();
        foreach (int m in new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 64 })
        {
            foreach (int n in new[] { 1, 7, 8, 16, 24, 31, 40, 48, 64, 67 })
            {
                shapes.Add(m, 5, n);
            }
        }

        shapes.Add(64, 64, 64);
        shapes.Add(13, 1, 17);
        return shapes;
    }

    public enum Lanes
    {
        /// <summary><see cref="TileMath.Multiply{T}"/>: 512 bits where accelerated, then Vector&lt;T&gt;, then scalar.</summary>
        AsDispatched,
        Native,
        Wide,
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MultiplyMatchesATripleLoop(int m, int k, int n)
    {
        foreach (Lanes lanes in Enum.GetValues<Lanes>())
        {
            Check(m, k, n, lanes);
        }
    }

    /// <summary>91 columns: five 512-bit float vectors, then a 256-bit one, then scalars, when dispatched.</summary>
    [Fact]
    public void EveryWidthGivesTheSameBits()
    {
        var random = new Random(StableSeed.Of("widths"));
        SameBits(random, 0.3f);
        SameBits(random, 0.3);
    }

    private static void SameBits<T>(Random random, T alpha)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        const int M = 15, K = 37, N = 91; // rows in blocks of six, six, two and one
        T[] a = Values<T>(random, M * K), b = Values<T>(random, K * N);
        T[] dispatched = new T[M * N], native = new T[M * N], wide = new T[M * N];
        TileMath.Multiply(ref a[0], K, 1, ref b[0], N, ref dispatched[0], N, M, K, N, alpha, accumulate: false);
        TileMath.Multiply<NativeLanes<T>, Vector<T>, T>(ref a[0], K, 1, ref b[0], N, ref native[0], N, M, K, N, alpha, accumulate: false);
        TileMath.Multiply<WideLanes<T>, Vector512<T>, T>(ref a[0], K, 1, ref b[0], N, ref wide[0], N, M, K, N, alpha, accumulate: false);
        Assert.Equal(native, dispatched);
        Assert.Equal(native, wide);
    }

    /// <summary>
    /// A decode step's scores straight from the key rows: scale·q·k for each of a few queries and every key, against a
    /// loop in double, with zeros past the last key; head sizes on and off the vector width.
    /// </summary>
    [Theory]
    [InlineData(1, 1, 16)]
    [InlineData(1, 7, 64)]
    [InlineData(3, 9, 16)]
    [InlineData(8, 64, 64)]
    [InlineData(2, 13, 5)]
    [InlineData(5, 6, 19)]
    public unsafe void DotsWithRowsMatchALoop(int queries, int keys, int headSize)
    {
        var random = new Random(StableSeed.Of("dots"));
        double[] q = Values<double>(random, queries * headSize), k = Values<double>(random, keys * headSize);
        int width = keys + 3;
        float[] qf = q.Select(x => (float)x).ToArray(), kf = k.Select(x => (float)x).ToArray();
        float[] tile = Enumerable.Repeat(float.NaN, queries * width).ToArray();
        double[] tileD = Enumerable.Repeat(double.NaN, queries * width).ToArray();
        fixed (float* qp = qf, kp = kf)
        fixed (double* qd = q, kd = k)
        {
            TileMath.DotsWithRows(qp, kp, headSize, queries, keys, width, 0.5f, tile);
            TileMath.DotsWithRows(qd, kd, headSize, queries, keys, width, 0.5, tileD);
        }

        for (int i = 0; i < queries; i++)
        {
            for (int j = 0; j < width; j++)
            {
                double expected = 0, expectedFromFloats = 0;
                for (int t = 0; j < keys && t < headSize; t++)
                {
                    expected += q[i * headSize + t] * k[j * headSize + t];
                    expectedFromFloats += (double)qf[i * headSize + t] * kf[j * headSize + t];
                }

                Assert.Equal(0.5 * expected, tileD[i * width + j], 1e-12);
                Assert.Equal(0.5 * expectedFromFloats, tile[i * width + j], 1e-5);
            }
        }
    }

    /// <summary>
    /// A key's score has the same bits wherever the key falls: in a group of four, whose lanes are folded together, or
    /// among the last one to three keys, each summed across its lanes alone (the BCL's sum adds them in the same tree).
    /// Calls see the same keys in different groupings (a padded tail, a causal band), so a score must not depend on it.
    /// </summary>
    [Fact]
    public unsafe void EachScoreHasTheSameBitsWhereverItsKeyFalls()
    {
        var random = new Random(StableSeed.Of("dot bits"));
        const int HeadSize = 32, Keys = 9, Queries = 64;
        float[] q = Values<float>(random, Queries * HeadSize), k = Values<float>(random, Keys * HeadSize);
        float[] all = new float[Queries * (Keys + 3)];
        fixed (float* qp = q, kp = k)
        {
            TileMath.DotsWithRows(qp, kp, HeadSize, Queries, Keys, Keys + 3, 0.125f, all);
            for (int keys = 1; keys < Keys; keys++)
            {
                float[] some = new float[Queries * (keys + 3)];
                TileMath.DotsWithRows(qp, kp, HeadSize, Queries, keys, keys + 3, 0.125f, some);
                for (int i = 0; i < Queries; i++)
                {
                    Assert.Equal(
                        all.Skip(i * (Keys + 3)).Take(keys).Select(BitConverter.SingleToInt32Bits),
                        some.Skip(i * (keys + 3)).Take(keys).Select(BitConverter.SingleToInt32Bits));
                }
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 3)]
    [InlineData(8, 8)]
    [InlineData(9, 15)]
    [InlineData(16, 16)]
    [InlineData(50, 16)]
    [InlineData(64, 64)]
    [InlineData(61, 67)]
    public void TransposeTurnsEveryEntryAndPadsWithZeros(int rows, int columns)
    {
        var random = new Random(StableSeed.Of($"transpose {rows}x{columns}"));
        Turned<float>(random, rows, columns);
        Turned<double>(random, rows, columns);
    }

    private static void Turned<T>(Random random, int rows, int columns)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        // Strides wider than the extents, as the tiles use them; the padded columns up to a whole vector, then untouched.
        int lds = columns + 3, paddedRows = (rows + 7) / 8 * 8, ldd = paddedRows + 5;
        T[] source = Values<T>(random, rows * lds), destination = Enumerable.Repeat(T.CreateTruncating(7), columns * ldd).ToArray();
        TileMath.Transpose(ref source[0], lds, rows, columns, ref destination[0], ldd, paddedRows);
        for (int t = 0; t < columns; t++)
        {
            for (int j = 0; j < ldd; j++)
            {
                T expected = j < rows ? source[j * lds + t] : j < paddedRows ? T.Zero : T.CreateTruncating(7);
                Assert.True(expected == destination[t * ldd + j], $"{typeof(T).Name} [{t}, {j}] = {destination[t * ldd + j]}, expected {expected}");
            }
        }
    }

    private static T[] Values<T>(Random random, int count)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        Enumerable.Range(0, count).Select(_ => T.CreateTruncating(2 * random.NextDouble() - 1)).ToArray();

    private static void Check(int m, int k, int n, Lanes lanes)
    {
        var random = new Random(StableSeed.Of($"{m}x{k}x{n}"));
        float[] a = Values<float>(random, m * k), b = Values<float>(random, k * n), initial = Values<float>(random, m * n);
        const float Alpha = 0.75f;
        foreach (bool transposed in new[] { false, true })
        {
            // A[i, t] at a[i·aRow + t·aColumn]: row-major m × k, or stored as its transpose k × m.
            float[] stored = transposed ? Transpose(a, m, k) : a;
            (int aRow, int aColumn) = transposed ? (1, m) : (k, 1);
            foreach (bool accumulate in new[] { false, true })
            {
                float[] c = (float[])initial.Clone();
                switch (lanes)
                {
                    case Lanes.AsDispatched:
                        TileMath.Multiply(ref stored[0], aRow, aColumn, ref b[0], n, ref c[0], n, m, k, n, Alpha, accumulate);
                        break;
                    case Lanes.Native:
                        TileMath.Multiply<NativeLanes<float>, Vector<float>, float>(ref stored[0], aRow, aColumn, ref b[0], n, ref c[0], n, m, k, n, Alpha, accumulate);
                        break;
                    default:
                        TileMath.Multiply<WideLanes<float>, Vector512<float>, float>(ref stored[0], aRow, aColumn, ref b[0], n, ref c[0], n, m, k, n, Alpha, accumulate);
                        break;
                }

                for (int i = 0; i < m; i++)
                {
                    for (int column = 0; column < n; column++)
                    {
                        double sum = 0;
                        for (int t = 0; t < k; t++)
                        {
                            sum += (double)a[i * k + t] * b[t * n + column];
                        }

                        double expected = (accumulate ? initial[i * n + column] : 0) + Alpha * sum;
                        Assert.True(Math.Abs(c[i * n + column] - expected) <= 1e-5 * (1 + k),
                            $"C[{i}, {column}] = {c[i * n + column]}, expected {expected} ({lanes}, transposed {transposed}, accumulate {accumulate})");
                    }
                }
            }
        }
    }

    private static float[] Transpose(float[] matrix, int rows, int columns)
    {
        var result = new float[matrix.Length];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                result[j * rows + i] = matrix[i * columns + j];
            }
        }

        return result;
    }
}
