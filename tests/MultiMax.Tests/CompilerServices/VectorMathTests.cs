using System;
using System.Numerics;
using MultiMax.CompilerServices;
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
    }
}
