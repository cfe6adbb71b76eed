using System;
using System.Numerics;
using System.Runtime.Intrinsics;
using MultiMax.CompilerServices;
using MultiMax.Tests.Support;
using Xunit;

namespace MultiMax.Tests.CompilerServices;

/// <summary>
/// The vector functions a modulator written as C# can call (VectorMath.Functions.cs), against the scalar functions in
/// double rounded to the element type: our tanh within a few ulp at both widths, the BCL's log and sqrt as they are.
/// </summary>
public class VectorMathFunctionsTests
{
    private const int FloatUlps = 3;
    private const int DoubleUlps = 3;

    [Fact]
    public void FloatTanhIsWithinAFewUlpAtBothWidths()
    {
        float[] arguments = Arguments("float tanh", 1 << 16, 20);
        long worst = 0;
        for (int i = 0; i < arguments.Length; i += Vector512<float>.Count)
        {
            Vector512<float> wide = VectorMath.Tanh(Vector512.Create(arguments, i));
            for (int lane = 0; lane < Vector512<float>.Count; lane++)
            {
                worst = Math.Max(worst, Ulps((float)Math.Tanh(arguments[i + lane]), wide[lane]));
            }
        }

        for (int i = 0; i < arguments.Length; i += Vector<float>.Count)
        {
            Vector<float> native = VectorMath.Tanh(new Vector<float>(arguments, i));
            for (int lane = 0; lane < Vector<float>.Count; lane++)
            {
                worst = Math.Max(worst, Ulps((float)Math.Tanh(arguments[i + lane]), native[lane]));
            }
        }

        Assert.True(worst <= FloatUlps, $"{worst} ulp");
    }

    [Fact]
    public void DoubleTanhIsWithinAFewUlpAtBothWidths()
    {
        float[] singles = Arguments("double tanh", 1 << 16, 40);
        double[] arguments = Array.ConvertAll(singles, s => s * (1 + 1e-9 * s)); // every bit of the mantissa used
        long worst = 0;
        for (int i = 0; i < arguments.Length; i += Vector512<double>.Count)
        {
            Vector512<double> wide = VectorMath.Tanh(Vector512.Create(arguments, i));
            for (int lane = 0; lane < Vector512<double>.Count; lane++)
            {
                worst = Math.Max(worst, Ulps(Math.Tanh(arguments[i + lane]), wide[lane]));
            }
        }

        for (int i = 0; i < arguments.Length; i += Vector<double>.Count)
        {
            Vector<double> native = VectorMath.Tanh(new Vector<double>(arguments, i));
            for (int lane = 0; lane < Vector<double>.Count; lane++)
            {
                worst = Math.Max(worst, Ulps(Math.Tanh(arguments[i + lane]), native[lane]));
            }
        }

        Assert.True(worst <= DoubleUlps, $"{worst} ulp");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1e-30)]
    [InlineData(-1e-300)]
    [InlineData(0.625)]
    [InlineData(-0.625)]
    [InlineData(9.5)]
    [InlineData(19.0625)]
    [InlineData(400.0)]
    [InlineData(-400.0)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(double.NaN)]
    public void TanhAtTheEdges(double x)
    {
        // NaN stays NaN, ±0 and ±1 exactly, the rest within the ulps above.
        Same(Math.Tanh(x), VectorMath.Tanh(new Vector<double>(x))[0], 4.5e-16);
        Same(Math.Tanh(x), VectorMath.Tanh(Vector512.Create(x))[0], 4.5e-16);
        Same((float)Math.Tanh((float)x), VectorMath.Tanh(new Vector<float>((float)x))[0], 3.6e-7);
        Same((float)Math.Tanh((float)x), VectorMath.Tanh(Vector512.Create((float)x))[0], 3.6e-7);

        static void Same(double expected, double actual, double relative) =>
            Assert.True(expected.Equals(actual) || Math.Abs(expected - actual) <= relative * Math.Abs(expected), $"tanh = {actual}, expected {expected}");
    }

    [Fact]
    public void LogAndSqrtMatchMath()
    {
        foreach (double v in new[] { 0.0, 1e-300, 0.5, 1, 2.75, 1e300, double.PositiveInfinity, -1, double.NaN })
        {
            Near(Math.Log(v), VectorMath.Log(new Vector<double>(v))[0], 1e-15);
            Near(Math.Log(v), VectorMath.Log(Vector512.Create(v))[0], 1e-15);
            Near(MathF.Log((float)v), VectorMath.Log(new Vector<float>((float)v))[0], 1e-6);
            Near(MathF.Log((float)v), VectorMath.Log(Vector512.Create((float)v))[0], 1e-6);
            Near(Math.Sqrt(v), VectorMath.Sqrt(new Vector<double>(v))[0], 0);
            Near(Math.Sqrt(v), VectorMath.Sqrt(Vector512.Create(v))[0], 0);
            Near(MathF.Sqrt((float)v), VectorMath.Sqrt(new Vector<float>((float)v))[0], 0);
            Near(MathF.Sqrt((float)v), VectorMath.Sqrt(Vector512.Create((float)v))[0], 0);
        }

        static void Near(double expected, double actual, double relative) =>
            Assert.True(expected.Equals(actual) || Math.Abs(expected - actual) <= relative * Math.Max(1, Math.Abs(expected)), $"{actual}, expected {expected}");
    }

    /// <summary>Half where tanh is a polynomial (|x| &lt; 0.625), half over ±<paramref name="range"/>, with tiny and huge ones.</summary>
    private static float[] Arguments(string seed, int count, double range)
    {
        var random = new Random(StableSeed.Of(seed));
        var arguments = new float[count];
        for (int i = 0; i < count; i++)
        {
            arguments[i] = (i % 4) switch
            {
                0 => (float)(1.25 * random.NextDouble() - 0.625),
                1 => (float)(2 * range * random.NextDouble() - range),
                2 => (float)((random.NextDouble() - 0.5) * Math.Pow(10, -10 * random.NextDouble())),
                _ => (float)(2 * random.NextDouble() - 1),
            };
        }

        return arguments;
    }

    private static long Ulps(float expected, float actual) =>
        Math.Abs((long)BitConverter.SingleToInt32Bits(expected) - BitConverter.SingleToInt32Bits(actual));

    private static long Ulps(double expected, double actual) =>
        Math.Abs(BitConverter.DoubleToInt64Bits(expected) - BitConverter.DoubleToInt64Bits(actual));
}
