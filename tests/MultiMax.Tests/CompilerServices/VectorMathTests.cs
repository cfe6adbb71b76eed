using System;
using System.Linq;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MultiMax.CompilerServices;
using MultiMax.Tests.Support;
using Xunit;

namespace MultiMax.Tests.CompilerServices;

public class VectorMathTests
{
    [Fact]
    public void ExpMatchesMathExp()
    {
        for (double v = -80; v <= 80; v += 0.37)
        {
            Assert.Equal(Math.Exp(v), VectorMath.Exp(new Vector<double>(v))[0], Math.Exp(v) * 1e-15);
            Assert.Equal(MathF.Exp((float)v), VectorMath.Exp(new Vector<float>((float)v))[Vector<float>.Count - 1], MathF.Exp((float)v) * 1e-6f);
        }
    }

    /// <summary>
    /// The wide path's own single-precision exponential, against exp in double rounded to float: within 2 ulp from
    /// where exp is subnormal to where it overflows, and right at the edges (underflow to 0, overflow to +∞, ±∞, NaN).
    /// </summary>
    [Fact]
    public void WideFloatExpIsWithinTwoUlpOfExp()
    {
        var random = new Random(StableSeed.Of("wide exp"));
        var arguments = new float[1 << 16];
        for (int i = 0; i < arguments.Length; i++)
        {
            // Every third from where exp is subnormal to where it overflows, the rest where SoftMax lives.
            arguments[i] = i % 3 == 0 ? (float)(193 * random.NextDouble() - 104) : (float)(8 * random.NextDouble() - 4);
        }

        int worst = 0;
        for (int i = 0; i < arguments.Length; i += Vector512<float>.Count)
        {
            Vector512<float> result = VectorMath.Exp(Vector512.Create(arguments, i));
            for (int lane = 0; lane < Vector512<float>.Count; lane++)
            {
                float expected = (float)Math.Exp(arguments[i + lane]);
                worst = Math.Max(worst, Math.Abs(BitConverter.SingleToInt32Bits(result[lane]) - BitConverter.SingleToInt32Bits(expected)));
            }
        }

        Assert.True(worst <= 2, $"{worst} ulp");

        float[] edges = { float.NegativeInfinity, -1000f, -104f, -103.5f, -100f, -95f, -88f, 0f, -0f, 1e-30f, 88.7f, 88.8f, 89f, 1000f, float.PositiveInfinity, float.NaN };
        foreach (float edge in edges)
        {
            float expected = (float)Math.Exp(edge), actual = VectorMath.Exp(Vector512.Create(edge)).ToScalar();
            Assert.True(
                expected.Equals(actual) || Math.Abs(BitConverter.SingleToInt32Bits(actual) - BitConverter.SingleToInt32Bits(expected)) <= 2,
                $"exp({edge}) = {actual}, expected {expected}");
        }
    }

    /// <summary>
    /// At <see cref="Vector{T}"/>'s width the float exponential is the same routine, inlined: the bits of the 512-bit
    /// one lane for lane (so within 2 ulp), from where exp is subnormal to where it overflows, and at the edges.
    /// </summary>
    [Fact]
    public void NativeFloatExpHasTheBitsOfTheWideOne()
    {
        var random = new Random(StableSeed.Of("native exp"));
        var arguments = new float[1 << 14];
        for (int i = 0; i < arguments.Length; i++)
        {
            arguments[i] = i % 3 == 0 ? (float)(193 * random.NextDouble() - 104) : (float)(8 * random.NextDouble() - 4);
        }

        float[] edges = { float.NegativeInfinity, -1000f, -104f, -103.5f, -95f, -88f, 0f, -0f, 88.7f, 89f, 1000f, float.PositiveInfinity, float.NaN };
        edges.CopyTo(arguments, 0);
        var wide = new float[arguments.Length];
        for (int i = 0; i < arguments.Length; i += Vector512<float>.Count)
        {
            VectorMath.Exp(Vector512.Create(arguments, i)).CopyTo(wide, i);
        }

        for (int i = 0; i < arguments.Length; i += Vector<float>.Count)
        {
            Vector<float> native = VectorMath.Exp(new Vector<float>(arguments, i));
            for (int lane = 0; lane < Vector<float>.Count; lane++)
            {
                Assert.True(wide[i + lane].Equals(native[lane]), $"exp({arguments[i + lane]}) = {native[lane]}, the wide form gives {wide[i + lane]}");
            }
        }
    }

    /// <summary>The scaling by 2ⁿ where VSCALEFPS is missing: one rounding, from the largest finite to the subnormals.</summary>
    [Fact]
    public void ScalingByHalvesRoundsOnce()
    {
        var random = new Random(StableSeed.Of("scale by halves"));
        for (int n = -150; n <= 128; n++)
        {
            var values = new float[Vector512<float>.Count];
            for (int lane = 0; lane < values.Length; lane++)
            {
                values[lane] = (float)(0.5 + 1.5 * random.NextDouble());
            }

            Vector512<float> scaled = VectorMath.ScaleByHalves(Vector512.Create(values), Vector512.Create((float)n));
            Vector<float> scaledNative = VectorMath.ScaleByHalves(new Vector<float>(values), new Vector<float>(n));
            for (int lane = 0; lane < values.Length; lane++)
            {
                Assert.Equal((float)Math.ScaleB(values[lane], n), scaled[lane]);
            }

            for (int lane = 0; lane < Vector<float>.Count; lane++)
            {
                Assert.Equal((float)Math.ScaleB(values[lane], n), scaledNative[lane]);
            }
        }
    }

    [Fact]
    public void WideDoubleExpMatchesMathExp()
    {
        for (double v = -700; v <= 700; v += 3.7)
        {
            Vector512<double> result = VectorMath.Exp(Vector512.Create(v, v / 2, -v, 0.5 * v, v / 3, -v / 7, 1e-3 * v, 0));
            Assert.Equal(Math.Exp(v), result[0], Math.Exp(v) * 1e-15);
            Assert.Equal(Math.Exp(-v / 7), result[5], Math.Exp(-v / 7) * 1e-15);
        }

        Assert.True(double.IsNaN(VectorMath.Exp(Vector512.Create(double.NaN)).ToScalar()));
        Assert.Equal(0, VectorMath.Exp(Vector512.Create(double.NegativeInfinity)).ToScalar());
    }

    [Fact]
    public void MaxAcrossFindsEveryLaneAndPropagatesNaN()
    {
        for (int lane = 0; lane < Vector<float>.Count; lane++)
        {
            var values = new float[Vector<float>.Count];
            Array.Fill(values, float.NegativeInfinity);
            values[lane] = 2.5f;
            Assert.Equal(2.5f, VectorMath.MaxAcross(new Vector<float>(values)));
            values[(lane + 1) % values.Length] = float.NaN;
            Assert.True(float.IsNaN(VectorMath.MaxAcross(new Vector<float>(values))), $"NaN in lane {(lane + 1) % values.Length}");
        }

        for (int lane = 0; lane < Vector<double>.Count; lane++)
        {
            var values = new double[Vector<double>.Count];
            Array.Fill(values, -1.0);
            values[lane] = 7.0;
            Assert.Equal(7.0, VectorMath.MaxAcross(new Vector<double>(values)));
            values[lane] = double.NaN;
            Assert.True(double.IsNaN(VectorMath.MaxAcross(new Vector<double>(values))));
        }

        Assert.Equal(float.NegativeInfinity, VectorMath.MaxAcross(new Vector<float>(float.NegativeInfinity)));
        for (int lane = 0; lane < Vector512<float>.Count; lane++)
        {
            var values = new float[Vector512<float>.Count];
            Array.Fill(values, -3f);
            values[lane] = 4f;
            Assert.Equal(4f, VectorMath.MaxAcross(Vector512.Create(values)));
            values[(lane + 5) % values.Length] = float.NaN;
            Assert.True(float.IsNaN(VectorMath.MaxAcross(Vector512.Create(values))));
        }

        for (int lane = 0; lane < Vector512<double>.Count; lane++)
        {
            var values = new double[Vector512<double>.Count];
            Array.Fill(values, -1.0);
            values[lane] = 7.0;
            Assert.Equal(7.0, VectorMath.MaxAcross(Vector512.Create(values)));
            values[lane] = double.NaN;
            Assert.True(double.IsNaN(VectorMath.MaxAcross(Vector512.Create(values))));
        }
    }

    /// <summary>
    /// The kernels' exponential of σ − max σ: the same bits as <see cref="VectorMath.Exp(Vector512{float})"/> over its
    /// domain (at most 0, −∞ and NaN included), and at <see cref="Vector{T}"/>'s width the same routine.
    /// </summary>
    [Fact]
    public void ExpNonPositiveIsExpOnItsDomain()
    {
        float[] arguments = NonPositiveArguments("exp non-positive",
            float.NegativeInfinity, float.MinValue, -1000f, -104f, -103.9f, -87.5f, -1e-30f, -0f, 0f, float.NaN);
        for (int i = 0; i < arguments.Length; i += Vector512<float>.Count)
        {
            var x = Vector512.Create(arguments, i);
            Vector512<float> expected = VectorMath.Exp(x), actual = VectorMath.ExpNonPositive(x);
            for (int lane = 0; lane < Vector512<float>.Count; lane++)
            {
                Assert.True(expected[lane].Equals(actual[lane]), $"exp({x[lane]}) = {actual[lane]}, Exp gives {expected[lane]}");
            }
        }

        for (int i = 0; i + Vector<float>.Count <= arguments.Length; i += Vector<float>.Count)
        {
            var x = new Vector<float>(arguments, i);
            Assert.Equal(VectorMath.Exp(x), VectorMath.ExpNonPositive(x));
        }

        Assert.True(double.IsNaN(VectorMath.ExpNonPositive(Vector512.Create(double.NaN)).ToScalar()));
        Assert.Equal(Math.Exp(-3.25), VectorMath.ExpNonPositive(new Vector<double>(-3.25))[0], Math.Exp(-3.25) * 1e-15);
    }

    /// <summary>
    /// The tile rows' exponential is <see cref="VectorMath.ExpNonPositive(Vector{float})"/> bit for bit wherever that
    /// result is at least the smallest normal number, and below it 0 (on 256-bit AVX lanes) or that same result; −∞
    /// gives 0 and NaN stays NaN.
    /// </summary>
    [Fact]
    public void ExpNonPositiveFlushedIsExpNonPositiveWhereverItIsNormal()
    {
        float[] arguments = NonPositiveArguments("exp non-positive flushed",
            float.NegativeInfinity, float.MinValue, -1000f, -104f, -103.9f, -87.75f, -87.5f, -87.33f, -87.25f, -1e-30f, -0f, 0f, float.NaN);
        for (int i = 0; i + Vector<float>.Count <= arguments.Length; i += Vector<float>.Count)
        {
            var x = new Vector<float>(arguments, i);
            Vector<float> exact = VectorMath.ExpNonPositive(x), flushed = VectorMath.ExpNonPositiveFlushed(x);
            for (int lane = 0; lane < Vector<float>.Count; lane++)
            {
                string what = $"exp({x[lane]}) = {flushed[lane]}, ExpNonPositive gives {exact[lane]}";
                if (float.IsNaN(exact[lane]) || float.IsNormal(exact[lane]) || exact[lane] == 0f)
                {
                    Assert.True(exact[lane].Equals(flushed[lane]), what);
                }
                else
                {
                    Assert.True(flushed[lane] == 0f || flushed[lane].Equals(exact[lane]), what);
                }
            }
        }

        Assert.True(float.IsNaN(VectorMath.ExpNonPositiveFlushed(new Vector<float>(float.NaN))[0]));
        Assert.Equal(0f, VectorMath.ExpNonPositiveFlushed(new Vector<float>(float.NegativeInfinity))[0]);
        if (Avx.IsSupported && Vector<float>.Count == 8)
        {
            Assert.Equal(0f, VectorMath.ExpNonPositiveFlushed(new Vector<float>(-90f))[0]); // a subnormal exp, flushed
        }
    }

    /// <summary>
    /// 2¹⁴ arguments of an exponential of σ − max σ: every third down to −110 (past where float's exp reaches 0), the
    /// rest down to −8, and <paramref name="edges"/> first.
    /// </summary>
    private static float[] NonPositiveArguments(string seed, params float[] edges)
    {
        var random = new Random(StableSeed.Of(seed));
        var arguments = new float[1 << 14];
        for (int i = 0; i < arguments.Length; i++)
        {
            arguments[i] = i % 3 == 0 ? (float)(-110 * random.NextDouble()) : (float)(-8 * random.NextDouble());
        }

        edges.CopyTo(arguments, 0);
        return arguments;
    }

    /// <summary>
    /// The native maximum across lanes finds the largest lane wherever it is; with a NaN lane it gives NaN or another
    /// lane (the kernels rely on nothing more).
    /// </summary>
    [Fact]
    public void MaxAcrossNativeFindsEveryLane()
    {
        AssertEveryLane(Vector<float>.Count, values => VectorMath.MaxAcrossNative(new Vector<float>(values)));
        AssertEveryLane(Vector512<float>.Count, values => VectorMath.MaxAcrossNative(Vector512.Create(values)));
        AssertEveryLane(Vector<double>.Count, values => (float)VectorMath.MaxAcrossNative(new Vector<double>(Array.ConvertAll(values, v => (double)v))));
        AssertEveryLane(Vector512<double>.Count, values => (float)VectorMath.MaxAcrossNative(Vector512.Create(Array.ConvertAll(values, v => (double)v))));

        static void AssertEveryLane(int count, Func<float[], float> maxAcross)
        {
            for (int lane = 0; lane < count; lane++)
            {
                var values = new float[count];
                for (int other = 0; other < count; other++)
                {
                    values[other] = -other - 0.5f;
                }

                values[lane] = 4f;
                Assert.Equal(4f, maxAcross(values));
                values[(lane + 1) % count] = float.NaN;
                float withNaN = maxAcross(values);
                Assert.True(float.IsNaN(withNaN) || Array.IndexOf(values, withNaN) >= 0, $"NaN beside lane {lane} gave {withNaN}");
            }

            Assert.Equal(float.NegativeInfinity, maxAcross(Enumerable.Repeat(float.NegativeInfinity, count).ToArray()));
        }
    }

    /// <summary>The sum across lanes is exact on integers (so every lane is counted once), and NaN with a NaN lane.</summary>
    [Fact]
    public void SumAcrossAddsEveryLaneOnce()
    {
        AssertSums(Vector<float>.Count, values => VectorMath.SumAcross(new Vector<float>(values)));
        AssertSums(Vector512<float>.Count, values => VectorMath.SumAcross(Vector512.Create(values)));
        AssertSums(Vector<double>.Count, values => (float)VectorMath.SumAcross(new Vector<double>(Array.ConvertAll(values, v => (double)v))));
        AssertSums(Vector512<double>.Count, values => (float)VectorMath.SumAcross(Vector512.Create(Array.ConvertAll(values, v => (double)v))));

        static void AssertSums(int count, Func<float[], float> sumAcross)
        {
            var values = new float[count];
            for (int lane = 0; lane < count; lane++)
            {
                values[lane] = 1 << lane; // each lane its own bit: a lane counted twice or missed changes the sum
            }

            Assert.Equal((float)((1L << count) - 1), sumAcross(values));
            values[count - 1] = float.NaN;
            Assert.True(float.IsNaN(sumAcross(values)));
        }
    }

    /// <summary>
    /// The sum across lanes takes one tree at every width, whichever code computes it: halves added lane-wise down to four
    /// lanes (two for double), then lanes two apart, then neighbours. Written here in scalar code and compared bit for
    /// bit on values whose sums round differently in other orders.
    /// </summary>
    [Fact]
    public void SumAcrossAddsInOneTreeAtEveryWidth()
    {
        var random = new Random(20261207);
        for (int round = 0; round < 200; round++)
        {
            float[] singles = Enumerable.Range(0, Vector512<float>.Count).Select(_ => (float)(random.NextDouble() - 0.5) * MathF.Pow(2, random.Next(-20, 20))).ToArray();
            double[] doubles = Array.ConvertAll(singles, v => v * (1 + random.NextDouble() * 1e-9));
            Assert.Equal(Tree(singles[..Vector<float>.Count]), VectorMath.SumAcross(new Vector<float>(singles)));
            Assert.Equal(Tree(singles), VectorMath.SumAcross(Vector512.Create(singles)));
            Assert.Equal(Tree(doubles[..Vector<double>.Count]), VectorMath.SumAcross(new Vector<double>(doubles)));
            Assert.Equal(Tree(doubles[..Vector512<double>.Count]), VectorMath.SumAcross(Vector512.Create(doubles)));
        }

        static T Tree<T>(T[] lanes)
            where T : IFloatingPointIeee754<T>
        {
            // 128 bits hold four floats or two doubles; fold the halves until one such register is left.
            int last = 16 / System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            T[] register = lanes;
            while (register.Length > last)
            {
                int half = register.Length / 2;
                register = Enumerable.Range(0, half).Select(lane => register[lane] + register[lane + half]).ToArray();
            }

            return last == 4 ? (register[0] + register[2]) + (register[1] + register[3]) : register[0] + register[1];
        }
    }
}
