using System;
using System.Linq;
using MultiMax.Tests.Reference;
using MultiMax.Tests.Support;
using Xunit;
using BuiltIns = global::MultiMax.Normalizers;

namespace MultiMax.Tests.Normalizers;

/// <summary>
/// The edges real models reach: rows of large magnitude in log space, huge finite scores beside zero parameters, NaN
/// parameters, very long rows, and outputs overlapping the parameters. Expected values come from the double reference
/// run on the very inputs the kernel got.
/// </summary>
public class NumericsTests
{
    /// <summary>
    /// Log-probabilities are (σ − max) − log Σ: the old σ − (max + log Σ) lost all of log Σ at |c| = 1e8 in float,
    /// because max + log Σ rounds log Σ away.
    /// </summary>
    [Theory]
    [InlineData(1e2)]
    [InlineData(1e4)]
    [InlineData(1e6)]
    [InlineData(1e8)]
    [InlineData(-1e8)]
    public void FloatLogOutputsStayAccurateAtLargeMagnitudes(double offset)
    {
        var random = new Random(7);
        const int rows = 8, rowLength = 33;
        float[] x = TestData.ToFloat(TestData.Normal(random, rows * rowLength, 1).Select(v => v + offset).ToArray());
        double[] exact = x.Select(v => (double)v).ToArray();
        float[] dy = TestData.ToFloat(TestData.Normal(random, x.Length, 1));

        foreach ((string name, Forward<float> forward, Backward<float> backward, ParameterLayout layout) in new (string, Forward<float>, Backward<float>, ParameterLayout)[]
        {
            ("LogSoftMax", (a, b, n, _) => BuiltIns.LogSoftMax(a, b, n), (a, b, c, d, n, _, _) => BuiltIns.LogSoftMaxBackward(a, b, c, d, n), new ParameterLayout(log: true)),
            ("LogMultiMax2", BuiltIns.LogMultiMax2, BuiltIns.LogMultiMax2Backward, new ParameterLayout(order: 2, log: true)),
        })
        {
            float[] parameters = new float[layout.Count], y = new float[x.Length], dx = new float[x.Length], dp = new float[layout.Count];
            forward(x, y, rowLength, parameters);
            backward(x, y, dy, dx, rowLength, parameters, dp);

            ReferenceNormalizer reference = layout.Bind(parameters.Select(p => (double)p).ToArray());
            Close.All(reference.Forward(exact, rowLength), TestData.ToDouble(y), 4e-6, 1e-6, $"{name} at {offset:E0}: y");
            (double[] expectedDx, _) = reference.Backward(exact, TestData.ToDouble(dy), rowLength);
            Close.All(expectedDx, TestData.ToDouble(dx), 2e-6, 1e-5, $"{name} at {offset:E0}: dx");
        }
    }

    [Theory]
    [InlineData(1e12)]
    [InlineData(1e16)]
    [InlineData(-1e300)]
    public void DoubleLogOutputsStayAccurateAtLargeMagnitudes(double offset)
    {
        var random = new Random(8);
        const int rows = 6, rowLength = 33;
        double[] x = TestData.Normal(random, rows * rowLength, 1).Select(v => v + offset).ToArray();
        double[] y = new double[x.Length];
        BuiltIns.LogSoftMax(x, y, rowLength);
        Close.All(new ParameterLayout(log: true).Bind(Array.Empty<double>()).Forward(x, rowLength), y, 1e-13, 1e-13, $"LogSoftMax at {offset:E0}");
    }

    [Fact]
    public void EightEqualHugeScoresShareTheirMassInLogSpace()
    {
        double[] x = Enumerable.Repeat(1e30, 8).ToArray(), y = new double[8];
        BuiltIns.LogSoftMax(x, y, 8);
        Assert.All(y, v => Assert.Equal(-Math.Log(8), v, 15));
    }

    /// <summary>
    /// "All zeros give plain SoftMax" holds beside huge finite scores too: a zero coefficient contributes exactly 0 to
    /// σ, σ′ and every gradient, where 0·r² once made the whole row NaN for r² = ∞. The parameter gradients are the
    /// mathematics: finite where the huge scores get probability 0 (gσ = 0 there); where they carry weight — a huge
    /// positive score, or any score in log space, whose gσ = g — ∂σ/∂a = r² itself overflows the float, as it does for
    /// autograd of the formula.
    /// </summary>
    [Theory]
    [InlineData(-3.4e38)]
    [InlineData(-1e20)]
    [InlineData(3.0e38)]
    public void ZeroParametersAreSoftMaxBesideHugeFiniteScores(double huge)
    {
        const int rowLength = 9;
        float[] x = { 0.5f, -1f, (float)huge, 2f, 0f, (float)huge, 1f, -0.25f, 3f };
        float[] dy = { 0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f, 0.7f, -0.8f, 0.9f };
        foreach (string name in new[] { "MultiMax2", "MultiMax1", "MultiMaxV2", "LogMultiMax2", "Ops.MultiMax3" })
        {
            Normalizer normalizer = Catalog.Get(name);
            ParameterLayout layout = normalizer.Layout();
            float[] parameters = new float[layout.Count];
            if (layout.Affine)
            {
                parameters[^2] = 1; // scale 1, shift 0: the identity map
            }

            float[] y = new float[rowLength], dx = new float[rowLength], dp = new float[layout.Count];
            normalizer.ForwardFloat!(x, y, rowLength, parameters);
            normalizer.BackwardFloat!(x, y, dy, dx, rowLength, parameters, dp);

            ReferenceNormalizer softMax = new ParameterLayout(log: layout.Log).Bind(Array.Empty<double>());
            double[] exact = TestData.ToDouble(x);
            Close.All(softMax.Forward(exact, rowLength), TestData.ToDouble(y), 1e-7, 1e-6, $"{name} beside {huge:E1}: y");
            Close.All(softMax.Backward(exact, TestData.ToDouble(dy), rowLength).Dx, TestData.ToDouble(dx), 1e-7, 1e-5, $"{name} beside {huge:E1}: dx");
            if (huge < 0 && !layout.Log)
            {
                Assert.All(dp, g => Assert.True(float.IsFinite(g), $"{name} beside {huge:E1}: a parameter gradient is {g}"));
            }
        }
    }

    /// <summary>
    /// One rule for a NaN parameter, at every row length (the SIMD and scalar paths once disagreed about a NaN threshold):
    /// every row with an unmasked entry is NaN, a fully masked row stays all 0 (−∞ in log space) with dx 0, and every
    /// gradient of a parameter σ reads is NaN — what autograd of the formula gives.
    /// </summary>
    [Theory]
    [InlineData("MultiMax2", 6)]  // a learnable threshold
    [InlineData("MultiMax2", 0)]  // a learnable coefficient
    [InlineData("LogMultiMax2", 7)]
    [InlineData("MultiMaxV2", 4)] // the affine scale
    public void ANaNParameterMakesEveryLiveRowNaNAtEveryRowLength(string name, int poisoned)
    {
        Normalizer normalizer = Catalog.Get(name);
        ParameterLayout layout = normalizer.Layout();
        foreach (int rowLength in new[] { 1, 4, 7, 8, 9, 16, 17, 40 })
        {
            var random = new Random(rowLength);
            const int rows = 3;
            float[] x = TestData.ToFloat(TestData.Normal(random, rows * rowLength, 2)), dy = TestData.ToFloat(TestData.Normal(random, x.Length, 1));
            Array.Fill(x, float.NegativeInfinity, rowLength, rowLength); // row 1 fully masked
            float[] parameters = TestData.ToFloat(TestData.Parameters(random, layout));
            parameters[poisoned] = float.NaN;

            float[] y = new float[x.Length], dx = new float[x.Length], dp = new float[layout.Count];
            normalizer.ForwardFloat!(x, y, rowLength, parameters);
            normalizer.BackwardFloat!(x, y, dy, dx, rowLength, parameters, dp);

            string what = $"{name} with parameter {poisoned} NaN, rows of {rowLength}";
            foreach (int row in new[] { 0, 2 })
            {
                Assert.All(y.AsSpan(row * rowLength, rowLength).ToArray(), v => Assert.True(float.IsNaN(v), what + ": y of a live row"));
                Assert.All(dx.AsSpan(row * rowLength, rowLength).ToArray(), v => Assert.True(float.IsNaN(v), what + ": dx of a live row"));
            }

            Assert.All(y.AsSpan(rowLength, rowLength).ToArray(), v => Assert.Equal(layout.Log ? float.NegativeInfinity : 0f, v));
            Assert.All(dx.AsSpan(rowLength, rowLength).ToArray(), v => Assert.Equal(0f, v));
            Assert.All(dp, g => Assert.True(float.IsNaN(g), what + ": a parameter gradient"));
        }
    }

    /// <summary>
    /// With no rows at all, a NaN parameter still makes every gradient of a parameter σ reads NaN, whatever kernel the
    /// row length selects.
    /// </summary>
    [Theory]
    [InlineData(3)]
    [InlineData(40)]
    public void ANaNParameterMakesGradientsNaNWithoutRows(int rowLength)
    {
        ParameterLayout layout = Catalog.Get("MultiMax2").Layout();
        float[] parameters = TestData.ToFloat(TestData.Parameters(new Random(rowLength), layout));
        parameters[6] = float.NaN;
        float[] dp = new float[layout.Count];
        MultiMax.Normalizers.MultiMax2Backward([], [], [], [], rowLength, parameters, dp);
        Assert.All(dp, g => Assert.True(float.IsNaN(g), $"rows of {rowLength}: a parameter gradient is {g}"));
    }

    /// <summary>
    /// A masked entry's upstream gradient reaches nothing — neither the row's shared sum nor its own dx — even when it is
    /// ∞ or NaN, as it is for a loss that takes the log of the masked probability 0.
    /// </summary>
    [Theory]
    [MemberData(nameof(Catalog.Double), MemberType = typeof(Catalog))]
    public void AMaskedEntrysUpstreamGradientReachesNothing(string name)
    {
        Normalizer normalizer = Catalog.Get(name);
        ParameterLayout layout = normalizer.Layout();
        var random = new Random(41);
        const int rowLength = 19;
        double[] x = TestData.Normal(random, 3 * rowLength, 2), dy = TestData.Normal(random, x.Length, 1);
        double[] parameters = TestData.Parameters(random, layout);
        double[] quiet = (double[])dy.Clone();
        foreach (int masked in new[] { 2, rowLength + 5, 2 * rowLength + 18 })
        {
            x[masked] = double.NegativeInfinity;
            dy[masked] = masked % 2 == 0 ? double.PositiveInfinity : double.NaN;
            quiet[masked] = 0;
        }

        double[] y = new double[x.Length];
        normalizer.ForwardDouble!(x, y, rowLength, parameters);
        double[] dx = new double[x.Length], expected = new double[x.Length], dp = new double[layout.Count], expectedDp = new double[layout.Count];
        normalizer.BackwardDouble!(x, y, dy, dx, rowLength, parameters, dp);
        normalizer.BackwardDouble!(x, y, quiet, expected, rowLength, parameters, expectedDp);
        Assert.Equal(expected, dx);
        Assert.Equal(expectedDp, dp);
    }

    /// <summary>
    /// Sums over long rows go through double: summed in float alone, a row this long once missed 1 by far more than
    /// the tolerance here.
    /// </summary>
    [Fact]
    public void LongRowsSumToOne()
    {
        const int rowLength = 10_000_000;
        var random = new Random(3);
        float[] x = new float[rowLength], y = new float[rowLength];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(random.NextDouble() * 4 - 2);
        }

        float[] parameters = { 0.3f, -0.2f, 0.1f, -0.05f, -1f, 1f, -1.5f, 1.5f };
        BuiltIns.MultiMax2(x, y, rowLength, parameters);
        double sum = 0;
        foreach (float p in y)
        {
            sum += p;
        }

        Assert.InRange(sum, 1 - 1e-5, 1 + 1e-5);

        // The backward's Σ g·y and the parameter sums go through double too: against the double reference.
        const int shorter = 1_000_000;
        double[] exact = TestData.ToDouble(x[..shorter]);
        float[] dy = TestData.ToFloat(TestData.Normal(random, shorter, 1)), yShort = new float[shorter], dx = new float[shorter], dp = new float[8];
        BuiltIns.MultiMax2(x.AsSpan(0, shorter), yShort, shorter, parameters);
        BuiltIns.MultiMax2Backward(x.AsSpan(0, shorter), yShort, dy, dx, shorter, parameters, dp);
        ParameterLayout layout = new(order: 2);
        (double[] expectedDx, ReferenceGradients expected) = layout.Bind(TestData.ToDouble(parameters)).Backward(exact, TestData.ToDouble(dy), shorter);
        Close.All(expectedDx, TestData.ToDouble(dx), 1e-11, 2e-4, "dx of a long row");
        Close.All(layout.Flatten(expected), TestData.ToDouble(dp), 1e-6, 1e-4, "parameter gradients of a long row");
    }
}
