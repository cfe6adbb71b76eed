using System;
using System.Collections.Generic;
using System.Linq;
using MultiMax.Tests.Reference;
using MultiMax.Tests.Support;
using Xunit;

namespace MultiMax.Tests.Baselines;

/// <summary>
/// SparseMax, 1.5-EntMax and EvSoftMax: hand-computed cases and closed forms, their known properties, gradients
/// against finite differences, masking, poisoning, validation, float against double, threads and in-place use.
/// </summary>
public sealed class SparseNormalizersTests
{
    private delegate void Forward(ReadOnlySpan<double> x, Span<double> y, int rowLength);

    private delegate void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> dy, Span<double> dx, int rowLength);

    private static readonly Dictionary<string, (Forward Forward, Backward Backward)> Functions = new()
    {
        ["SparseMax"] = (SparseNormalizers.SparseMax, SparseNormalizers.SparseMaxBackward),
        ["EntMax15"] = (SparseNormalizers.EntMax15, SparseNormalizers.EntMax15Backward),
        ["EvSoftMax"] = (SparseNormalizers.EvSoftMax, SparseNormalizers.EvSoftMaxBackward),
    };

    public static IEnumerable<object[]> Names() => Functions.Keys.Select(name => new object[] { name });

    [Theory]
    [InlineData("SparseMax", new[] { 1.0, 0.5, -1.0 }, new[] { 0.75, 0.25, 0.0 })]
    [InlineData("SparseMax", new[] { 0.2, 0.2, 0.2 }, new[] { 1 / 3.0, 1 / 3.0, 1 / 3.0 })]
    [InlineData("SparseMax", new[] { 3.0, 0.0, 0.0 }, new[] { 1.0, 0.0, 0.0 })]
    [InlineData("EvSoftMax", new[] { 3.0, 0.0, -3.0 }, new[] { 0.95257412682243336, 0.047425873177566781, 0.0 })]
    [InlineData("EvSoftMax", new[] { 0.5, 0.5 }, new[] { 0.5, 0.5 })]
    [InlineData("EntMax15", new[] { 0.0, 0.0 }, new[] { 0.5, 0.5 })]
    public void HandComputedCases(string name, double[] x, double[] expected)
    {
        var y = new double[x.Length];
        Functions[name].Forward(x, y, x.Length);
        Close.All(expected, y, 1e-15, 1e-14, name);
    }

    [Fact]
    public void EntMax15OfOneZeroMinusOneHasTheRootsOfItsQuadratic()
    {
        // Support {1, 0}: τ solves (0 − τ)² + (−½ − τ)² = 1 after the shift x/2 − max/2, so τ = −(1 + √7)/4.
        var y = new double[3];
        SparseNormalizers.EntMax15(new[] { 1.0, 0.0, -1.0 }, y, 3);
        double root = Math.Sqrt(7);
        Close.All(new[] { Math.Pow((1 + root) / 4, 2), Math.Pow((root - 1) / 4, 2), 0 }, y, 1e-15, 1e-14, "entmax15");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void TwoEntriesFollowTheClosedForms(string name)
    {
        foreach (double t in Enumerable.Range(-30, 61).Select(i => i / 10.0))
        {
            var y = new double[2];
            Functions[name].Forward(new[] { t, 0.0 }, y, 2);
            double expected = name switch
            {
                "SparseMax" => Math.Clamp((t + 1) / 2, 0, 1),
                "EntMax15" => Math.Abs(t) >= 2 ? (t > 0 ? 1 : 0) : Math.Pow((t / 2 + Math.Sqrt(2 - t * t / 4)) / 2, 2),
                _ => t > 0 ? 1 : t < 0 ? 0 : 0.5,
            };
            Close.All(new[] { expected, 1 - expected }, y, 1e-12, 1e-12, $"{name}([{t}, 0])");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void RowsSumToOneAreNonNegativeAndShiftInvariant(string name)
    {
        var random = new Random(1);
        foreach (int length in new[] { 1, 2, 7, 33, 200 })
        {
            double[] x = TestData.Normal(random, 4 * length, 2.0);
            var y = new double[x.Length];
            var shifted = new double[x.Length];
            Functions[name].Forward(x, y, length);
            Functions[name].Forward(x.Select(v => v + 3.25).ToArray(), shifted, length);
            for (int row = 0; row < 4; row++)
            {
                Assert.Equal(1, y.Skip(row * length).Take(length).Sum(), 12);
            }

            Assert.All(y, p => Assert.True(p >= 0));
            Close.All(y, shifted, 1e-12, 1e-10, $"{name} shifted");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void SpreadRowsAreSparse(string name)
    {
        // Unlike SoftMax, every one of these sets small entries exactly to zero.
        double[] x = TestData.Normal(new Random(2), 20 * 50, 3.0);
        var y = new double[x.Length];
        Functions[name].Forward(x, y, 50);
        Assert.True(y.Count(p => p == 0) > y.Length / 4, $"{name}: {y.Count(p => p == 0)} zeros of {y.Length}");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void BackwardMatchesFiniteDifferences(string name)
    {
        var random = new Random(3);
        foreach (int length in new[] { 2, 5, 17 })
        {
            double[] x = TestData.Normal(random, length, 1.5), g = TestData.Normal(random, length, 1.0);
            var y = new double[length];
            var dx = new double[length];
            Functions[name].Forward(x, y, length);
            Functions[name].Backward(x, y, g, dx, length);

            double Loss(double[] at)
            {
                var output = new double[length];
                Functions[name].Forward(at, output, length);
                return output.Zip(g, (p, w) => p * w).Sum();
            }

            Close.All(FiniteDifferences.Gradient(Loss, x), dx, 1e-7, 1e-6, $"{name} dx, length {length}");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void MaskedEntriesGetNothingAndTheRestIsTheFunctionOfTheRest(string name)
    {
        double inf = double.NegativeInfinity;
        double[] x = { 0.7, inf, -0.4, 1.3, inf, inf, inf, inf };
        var y = new double[8];
        Functions[name].Forward(x, y, 4);

        var kept = new double[3];
        Functions[name].Forward(new[] { 0.7, -0.4, 1.3 }, kept, 3);
        Close.All(new[] { kept[0], 0, kept[1], kept[2], 0, 0, 0, 0 }, y, 0, 0, $"{name} masked");

        var dx = new double[8];
        Functions[name].Backward(x, y, new[] { 1.0, 2, 3, 4, 5, 6, 7, 8 }, dx, 4);
        Assert.Equal(new[] { 0.0, 0, 0, 0, 0 }, new[] { dx[1], dx[4], dx[5], dx[6], dx[7] });
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void NaNOrInfinityPoisonsItsRowOnly(string name)
    {
        double[] x = { 0.5, double.NaN, 1, 0.1, 0.2, 0.3, 2, double.PositiveInfinity, 0 };
        var y = new double[9];
        Functions[name].Forward(x, y, 3);
        Assert.All(y[..3], p => Assert.True(double.IsNaN(p)));
        Assert.All(y[3..6], p => Assert.True(double.IsFinite(p)));
        Assert.All(y[6..], p => Assert.True(double.IsNaN(p)));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void FloatAgreesWithDouble(string name)
    {
        double[] x = TestData.Normal(new Random(4), 6 * 19, 2.0);
        var expected = new double[x.Length];
        Functions[name].Forward(x, expected, 19);
        float[] y = new float[x.Length], dx = new float[x.Length];
        float[] xf = TestData.ToFloat(x), g = TestData.ToFloat(TestData.Normal(new Random(5), x.Length, 1.0));
        var expectedDx = new double[x.Length];
        Functions[name].Backward(x, expected, TestData.ToDouble(g), expectedDx, 19);

        (Action forward, Action backward) = name switch
        {
            "SparseMax" => ((Action)(() => SparseNormalizers.SparseMax(xf, y, 19)), (Action)(() => SparseNormalizers.SparseMaxBackward(xf, y, g, dx, 19))),
            "EntMax15" => (() => SparseNormalizers.EntMax15(xf, y, 19), () => SparseNormalizers.EntMax15Backward(xf, y, g, dx, 19)),
            _ => (() => SparseNormalizers.EvSoftMax(xf, y, 19), () => SparseNormalizers.EvSoftMaxBackward(xf, y, g, dx, 19)),
        };
        forward();
        backward();
        Close.All(expected, TestData.ToDouble(y), 1e-6, 1e-5, $"{name} float y");
        Close.All(expectedDx, TestData.ToDouble(dx), 1e-5, 1e-4, $"{name} float dx");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void LargeInputsSplitOverThreadsGiveTheRowByRowResult(string name)
    {
        const int Length = 100;
        double[] x = TestData.Normal(new Random(6), 500 * Length, 2.0);
        var whole = new double[x.Length];
        Functions[name].Forward(x, whole, Length);
        for (int row = 0; row < 500; row += 37)
        {
            var single = new double[Length];
            Functions[name].Forward(x.AsSpan(row * Length, Length), single, Length);
            // Bit for bit, except EvSoftMax: TensorPrimitives.Exp may take a different (equally accurate) path for an
            // element depending on its memory alignment, which differs between a row in the block and a row alone.
            double relative = name == "EvSoftMax" ? 1e-15 : 0;
            Close.All(single, whole.AsSpan(row * Length, Length).ToArray(), 0, relative, $"{name} row {row}");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void InPlaceGivesTheSameResult(string name)
    {
        double[] x = TestData.Normal(new Random(7), 3 * 11, 2.0);
        var expected = new double[x.Length];
        Functions[name].Forward(x, expected, 11);
        Functions[name].Forward(x, x, 11);
        Close.All(expected, x, 0, 0, $"{name} in place");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void BadArgumentsAreRefusedBeforeAnyWrite(string name)
    {
        double[] x = { 1, 2, 3, 4 };
        double[] y = { 9, 9, 9, 9 };
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Functions[name].Forward(x, y, 3)).ParamName);
        Assert.Equal("rowLength", Assert.ThrowsAny<ArgumentException>(() => Functions[name].Forward(x, y, 0)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Functions[name].Forward(x, new double[3], 2)).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => Functions[name].Backward(x, y, y, new double[5], 2)).ParamName);
        Assert.Equal(new double[] { 9, 9, 9, 9 }, y);
    }
}
