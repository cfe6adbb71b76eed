using System;
using MultiMax.Tests.Reference;
using MultiMax.Tests.Support;
using Xunit;

namespace MultiMax.Tests.Normalizers;

/// <summary>Every generated forward against the scalar double reference, over awkward and large shapes.</summary>
public class ForwardTests
{
    /// <summary>Row lengths 1 and 2, odd lengths, lengths around and not a multiple of every vector width, long rows.</summary>
    public static readonly int[] RowLengths = { 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 100, 197, 1000 };

    [Theory]
    [MemberData(nameof(Catalog.Float), MemberType = typeof(Catalog))]
    public void FloatMatchesReference(string name)
    {
        Normalizer normalizer = Catalog.Get(name);
        var random = new Random(StableSeed.Of(name));
        foreach (int rowLength in RowLengths)
        {
            CheckFloat(normalizer, random, rows: 3, rowLength);
        }
    }

    [Theory]
    [MemberData(nameof(Catalog.Double), MemberType = typeof(Catalog))]
    public void DoubleMatchesReference(string name)
    {
        Normalizer normalizer = Catalog.Get(name);
        var random = new Random(StableSeed.Of(name));
        foreach (int rowLength in RowLengths)
        {
            CheckDouble(normalizer, random, rows: 3, rowLength);
        }
    }

    /// <summary>Large enough to be split across threads: every block must still see whole rows.</summary>
    [Theory]
    [MemberData(nameof(Catalog.Float), MemberType = typeof(Catalog))]
    public void ManyRowsRunInParallelAndMatch(string name)
    {
        var random = new Random(7);
        CheckFloat(Catalog.Get(name), random, rows: 401, rowLength: 197);
        CheckFloat(Catalog.Get(name), random, rows: 70_001, rowLength: 1);
    }

    [Theory]
    [MemberData(nameof(Catalog.Double), MemberType = typeof(Catalog))]
    public void ManyDoubleRowsRunInParallelAndMatch(string name) =>
        CheckDouble(Catalog.Get(name), new Random(11), rows: 97, rowLength: 513);

    [Fact]
    public void ProbabilitiesSumToOneAndZeroParametersGiveSoftMax()
    {
        var random = new Random(3);
        float[] x = TestData.ToFloat(TestData.Normal(random, 5 * 37, 3));
        float[] softMax = new float[x.Length], multiMax = new float[x.Length];
        MultiMax.Normalizers.SoftMax(x, softMax, 37);
        MultiMax.Normalizers.MultiMax2(x, multiMax, 37, new float[8]);
        Close.All(TestData.ToDouble(softMax), TestData.ToDouble(multiMax), 0, 0, "MultiMax2 with zero parameters");
        for (int row = 0; row < 5; row++)
        {
            double sum = 0;
            foreach (float p in multiMax.AsSpan(row * 37, 37))
            {
                sum += p;
            }

            Assert.Equal(1.0, sum, 5);
        }
    }

    [Fact]
    public void NoRowsIsNothingToDo()
    {
        MultiMax.Normalizers.MultiMax2(ReadOnlySpan<float>.Empty, Span<float>.Empty, 4, new float[8]);
    }

    internal static void CheckFloat(Normalizer normalizer, Random random, int rows, int rowLength)
    {
        ParameterLayout layout = normalizer.Layout();
        float[] parameters = TestData.ToFloat(TestData.Parameters(random, layout));
        float[] x = TestData.ToFloat(TestData.Normal(random, rows * rowLength, 2));
        float[] y = new float[x.Length];
        normalizer.ForwardFloat!(x, y, rowLength, parameters);

        double[] expected = layout.Bind(TestData.ToDouble(parameters)).Forward(TestData.ToDouble(x), rowLength);
        Close.All(expected, TestData.ToDouble(y), layout.Log ? 1e-4 : 1e-5, layout.Log ? 1e-5 : 1e-4, $"{normalizer} [{rows}×{rowLength}]");
    }

    internal static void CheckDouble(Normalizer normalizer, Random random, int rows, int rowLength)
    {
        ParameterLayout layout = normalizer.Layout();
        double[] parameters = TestData.Parameters(random, layout);
        double[] x = TestData.Normal(random, rows * rowLength, 2);
        double[] y = new double[x.Length];
        normalizer.ForwardDouble!(x, y, rowLength, parameters);

        double[] expected = layout.Bind(parameters).Forward(x, rowLength);
        Close.All(expected, y, 1e-12, 1e-10, $"{normalizer} [{rows}×{rowLength}]");
    }
}
