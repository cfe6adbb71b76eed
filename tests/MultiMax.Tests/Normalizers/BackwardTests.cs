using System;
using System.Linq;
using MultiMax.Tests.Reference;
using MultiMax.Tests.Support;
using Xunit;

namespace MultiMax.Tests.Normalizers;

/// <summary>
/// Every generated backward against central finite differences of the reference loss Σ dy·y (double), and against
/// the reference's analytic backward (float and double, large and threaded shapes).
/// </summary>
public class BackwardTests
{
    /// <summary>The reference's own analytic backward is right: finite differences agree with it.</summary>
    [Theory]
    [MemberData(nameof(Catalog.Names), MemberType = typeof(Catalog))]
    public void ReferenceBackwardMatchesFiniteDifferences(string name)
    {
        ParameterLayout layout = Catalog.Get(name).Layout();
        var random = new Random(5);
        double[] parameters = TestData.Parameters(random, layout);
        double[] x = TestData.Normal(random, 3 * 7, 2), dy = TestData.Normal(random, 3 * 7, 1);
        (double[] dx, ReferenceGradients gradients) = layout.Bind(parameters).Backward(x, dy, 7);

        double[] dxByDifferences = FiniteDifferences.Gradient(v => layout.Bind(parameters).Loss(v, dy, 7), x);
        double[] dpByDifferences = FiniteDifferences.Gradient(p => layout.Bind(p).Loss(x, dy, 7), parameters);
        Close.All(dxByDifferences, dx, 1e-6, 1e-5, $"{name} reference dx");
        Close.All(dpByDifferences, layout.Flatten(gradients), 1e-6, 1e-5, $"{name} reference parameter gradients");
    }

    /// <summary>The generated double backward against finite differences directly: no formula shared with it.</summary>
    [Theory]
    [MemberData(nameof(Catalog.Double), MemberType = typeof(Catalog))]
    public void DoubleMatchesFiniteDifferences(string name)
    {
        Normalizer normalizer = Catalog.Get(name);
        ParameterLayout layout = normalizer.Layout();
        var random = new Random(9);
        foreach (int rowLength in new[] { 1, 2, 5, 11 })
        {
            double[] parameters = TestData.Parameters(random, layout);
            double[] x = TestData.Normal(random, 3 * rowLength, 2), dy = TestData.Normal(random, 3 * rowLength, 1);
            (double[] dx, double[] dp) = RunDouble(normalizer, x, dy, rowLength, parameters);

            double[] dxByDifferences = FiniteDifferences.Gradient(v => layout.Bind(parameters).Loss(v, dy, rowLength), x);
            double[] dpByDifferences = FiniteDifferences.Gradient(p => layout.Bind(p).Loss(x, dy, rowLength), parameters);
            Close.All(dxByDifferences, dx, 1e-6, 1e-5, $"{name} dx [{rowLength}]");
            Close.All(dpByDifferences, dp, 1e-6, 1e-5, $"{name} parameter gradients [{rowLength}]");
        }
    }

    [Theory]
    [MemberData(nameof(Catalog.Double), MemberType = typeof(Catalog))]
    public void DoubleMatchesReference(string name)
    {
        Normalizer normalizer = Catalog.Get(name);
        var random = new Random(13);
        foreach ((int rows, int rowLength) in new[] { (3, 1), (3, 3), (4, 17), (3, 100), (2, 1000), (97, 513) })
        {
            ParameterLayout layout = normalizer.Layout();
            double[] parameters = TestData.Parameters(random, layout);
            double[] x = TestData.Normal(random, rows * rowLength, 2), dy = TestData.Normal(random, rows * rowLength, 1);
            (double[] dx, double[] dp) = RunDouble(normalizer, x, dy, rowLength, parameters);
            (double[] expectedDx, ReferenceGradients expected) = layout.Bind(parameters).Backward(x, dy, rowLength);
            Close.All(expectedDx, dx, 1e-11, 1e-9, $"{name} dx [{rows}×{rowLength}]");
            Close.All(layout.Flatten(expected), dp, 1e-9, 1e-9, $"{name} parameter gradients [{rows}×{rowLength}]");
        }
    }

    [Theory]
    [MemberData(nameof(Catalog.Float), MemberType = typeof(Catalog))]
    public void FloatMatchesReference(string name)
    {
        Normalizer normalizer = Catalog.Get(name);
        var random = new Random(17);
        foreach ((int rows, int rowLength) in new[] { (3, 1), (3, 2), (3, 7), (4, 9), (3, 33), (2, 1000), (401, 197) })
        {
            ParameterLayout layout = normalizer.Layout();
            float[] parameters = TestData.ToFloat(TestData.Parameters(random, layout));
            float[] x = TestData.ToFloat(TestData.Normal(random, rows * rowLength, 2));
            float[] dy = TestData.ToFloat(TestData.Normal(random, rows * rowLength, 1));
            float[] y = new float[x.Length], dx = new float[x.Length], dp = Enumerable.Repeat(float.NaN, layout.Count).ToArray();
            normalizer.ForwardFloat!(x, y, rowLength, parameters);
            normalizer.BackwardFloat!(x, y, dy, dx, rowLength, parameters, dp);

            (double[] expectedDx, ReferenceGradients expected) =
                layout.Bind(TestData.ToDouble(parameters)).Backward(TestData.ToDouble(x), TestData.ToDouble(dy), rowLength);
            Close.All(expectedDx, TestData.ToDouble(dx), 1e-4, 1e-3, $"{name} dx [{rows}×{rowLength}]");
            double[] expectedDp = layout.Flatten(expected);
            double scale = Math.Max(1, expectedDp.Select(Math.Abs).DefaultIfEmpty(0).Max());
            Close.All(expectedDp, TestData.ToDouble(dp), 1e-4 * scale, 1e-3, $"{name} parameter gradients [{rows}×{rowLength}]");
        }
    }

    /// <summary>Block sums are reduced in a fixed order: the threaded gradients are the same on every run.</summary>
    [Fact]
    public void ThreadedParameterGradientsAreReproducible()
    {
        var random = new Random(23);
        float[] parameters = TestData.ToFloat(TestData.Normal(random, 8, 1));
        float[] x = TestData.ToFloat(TestData.Normal(random, 2000 * 64, 2)), dy = TestData.ToFloat(TestData.Normal(random, 2000 * 64, 1));
        float[] y = new float[x.Length], dx = new float[x.Length], first = new float[8], second = new float[8];
        MultiMax.Normalizers.MultiMax2(x, y, 64, parameters);
        MultiMax.Normalizers.MultiMax2Backward(x, y, dy, dx, 64, parameters, first);
        MultiMax.Normalizers.MultiMax2Backward(x, y, dy, dx, 64, parameters, second);
        Assert.Equal(first, second);
    }

    private static (double[] Dx, double[] Dp) RunDouble(Normalizer normalizer, double[] x, double[] dy, int rowLength, double[] parameters)
    {
        double[] y = new double[x.Length], dx = new double[x.Length];
        double[] dp = Enumerable.Repeat(double.NaN, parameters.Length).ToArray(); // overwritten, never accumulated into
        normalizer.ForwardDouble!(x, y, rowLength, parameters);
        normalizer.BackwardDouble!(x, y, dy, dx, rowLength, parameters, dp);
        return (dx, dp);
    }
}
