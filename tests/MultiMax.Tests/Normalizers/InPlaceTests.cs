using System;
using MultiMax.Tests.Reference;
using MultiMax.Tests.Support;
using Xunit;

namespace MultiMax.Tests.Normalizers;

/// <summary>
/// An output may be the same buffer as an input. Rows that end in a partial vector are the hard case: the last
/// vector overlaps lanes the loop has already overwritten.
/// </summary>
public class InPlaceTests
{
    private static readonly int[] RowLengths = { 3, 8, 13, 19, 36 };

    [Theory]
    [MemberData(nameof(Catalog.Float), MemberType = typeof(Catalog))]
    public void FloatInPlaceEqualsSeparateBuffers(string name)
    {
        Normalizer normalizer = Catalog.Get(name);
        var random = new Random(43);
        foreach (int rowLength in RowLengths)
        {
            ParameterLayout layout = normalizer.Layout();
            float[] parameters = TestData.ToFloat(TestData.Parameters(random, layout));
            float[] x = TestData.ToFloat(TestData.Normal(random, 3 * rowLength, 2)), dy = TestData.ToFloat(TestData.Normal(random, 3 * rowLength, 1));
            float[] y = new float[x.Length], dx = new float[x.Length], dp = new float[layout.Count];
            normalizer.ForwardFloat!(x, y, rowLength, parameters);
            normalizer.BackwardFloat!(x, y, dy, dx, rowLength, parameters, dp);

            float[] inPlace = (float[])x.Clone();
            normalizer.ForwardFloat!(inPlace, inPlace, rowLength, parameters);
            Assert.Equal(y, inPlace);

            foreach (string alias in new[] { "dy", "y", "x" })
            {
                float[] shared = alias switch { "dy" => (float[])dy.Clone(), "y" => (float[])y.Clone(), _ => (float[])x.Clone() };
                float[] dpInPlace = new float[layout.Count];
                normalizer.BackwardFloat!(
                    alias == "x" ? shared : x, alias == "y" ? shared : y, alias == "dy" ? shared : dy, shared, rowLength, parameters, dpInPlace);
                Assert.True(dx.AsSpan().SequenceEqual(shared), $"{name}: dx written over {alias} [{rowLength}]");
                Assert.Equal(dp, dpInPlace);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Catalog.Double), MemberType = typeof(Catalog))]
    public void DoubleInPlaceEqualsSeparateBuffers(string name)
    {
        Normalizer normalizer = Catalog.Get(name);
        var random = new Random(47);
        foreach (int rowLength in RowLengths)
        {
            ParameterLayout layout = normalizer.Layout();
            double[] parameters = TestData.Parameters(random, layout);
            double[] x = TestData.Normal(random, 3 * rowLength, 2), dy = TestData.Normal(random, 3 * rowLength, 1);
            double[] y = new double[x.Length], dx = new double[x.Length], dp = new double[layout.Count];
            normalizer.ForwardDouble!(x, y, rowLength, parameters);
            normalizer.BackwardDouble!(x, y, dy, dx, rowLength, parameters, dp);

            double[] inPlace = (double[])x.Clone();
            normalizer.ForwardDouble!(inPlace, inPlace, rowLength, parameters);
            Assert.Equal(y, inPlace);

            double[] dxOverDy = (double[])dy.Clone(), dpInPlace = new double[layout.Count];
            normalizer.BackwardDouble!(x, y, dxOverDy, dxOverDy, rowLength, parameters, dpInPlace);
            Assert.Equal(dx, dxOverDy);
            Assert.Equal(dp, dpInPlace);
        }
    }
}
