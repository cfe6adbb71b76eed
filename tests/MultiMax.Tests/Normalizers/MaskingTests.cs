using System;
using System.Linq;
using MultiMax.Tests.Reference;
using MultiMax.Tests.Support;
using Xunit;

namespace MultiMax.Tests.Normalizers;

/// <summary>−∞ masks, fully masked rows, and NaN or +∞ that must stay inside their own row.</summary>
public class MaskingTests
{
    [Theory]
    [MemberData(nameof(Catalog.Double), MemberType = typeof(Catalog))]
    public void MaskedEntriesGetZeroProbabilityAndZeroGradient(string name)
    {
        Normalizer normalizer = Catalog.Get(name);
        ParameterLayout layout = normalizer.Layout();
        var random = new Random(31);
        const int rows = 4, rowLength = 19;
        double[] parameters = TestData.Parameters(random, layout);
        double[] x = TestData.Normal(random, rows * rowLength, 2), dy = TestData.Normal(random, rows * rowLength, 1);
        for (int i = 0; i < x.Length; i += 3)
        {
            x[i] = double.NegativeInfinity;
        }

        double[] y = new double[x.Length], dx = new double[x.Length], dp = new double[parameters.Length];
        normalizer.ForwardDouble!(x, y, rowLength, parameters);
        normalizer.BackwardDouble!(x, y, dy, dx, rowLength, parameters, dp);

        ReferenceNormalizer reference = layout.Bind(parameters);
        Close.All(reference.Forward(x, rowLength), y, 1e-12, 1e-10, $"{name} masked forward");
        (double[] expectedDx, ReferenceGradients expected) = reference.Backward(x, dy, rowLength);
        Close.All(expectedDx, dx, 1e-11, 1e-9, $"{name} masked dx");
        Close.All(layout.Flatten(expected), dp, 1e-9, 1e-9, $"{name} masked parameter gradients");
        for (int i = 0; i < x.Length; i += 3)
        {
            Assert.Equal(layout.Log ? double.NegativeInfinity : 0.0, y[i]);
            Assert.Equal(0.0, dx[i]);
        }
    }

    [Theory]
    [MemberData(nameof(Catalog.Float), MemberType = typeof(Catalog))]
    public void FullyMaskedRowIsZerosAndLeavesOtherRowsAlone(string name)
    {
        Normalizer normalizer = Catalog.Get(name);
        ParameterLayout layout = normalizer.Layout();
        var random = new Random(37);
        foreach (int rowLength in new[] { 1, 5, 8, 21 })
        {
            float[] parameters = TestData.ToFloat(TestData.Parameters(random, layout));
            float[] x = TestData.ToFloat(TestData.Normal(random, 3 * rowLength, 2)), dy = TestData.ToFloat(TestData.Normal(random, 3 * rowLength, 1));
            x.AsSpan(rowLength, rowLength).Fill(float.NegativeInfinity);
            float[] y = new float[x.Length], dx = new float[x.Length], dp = new float[parameters.Length];
            normalizer.ForwardFloat!(x, y, rowLength, parameters);
            normalizer.BackwardFloat!(x, y, dy, dx, rowLength, parameters, dp);

            Assert.All(y.AsSpan(rowLength, rowLength).ToArray(), v => Assert.Equal(layout.Log ? float.NegativeInfinity : 0f, v));
            Assert.All(dx.AsSpan(rowLength, rowLength).ToArray(), v => Assert.Equal(0f, v));
            Assert.All(dp, v => Assert.True(float.IsFinite(v)));
            double[] expected = layout.Bind(TestData.ToDouble(parameters)).Forward(TestData.ToDouble(x), rowLength);
            Close.All(expected, TestData.ToDouble(y), 1e-4, 1e-4, $"{name} rows around a masked row");
        }
    }

    [Theory]
    [MemberData(nameof(Catalog.Float), MemberType = typeof(Catalog))]
    public void NaNAndInfinityStayInTheirRow(string name)
    {
        Normalizer normalizer = Catalog.Get(name);
        ParameterLayout layout = normalizer.Layout();
        var random = new Random(41);
        foreach (float poison in new[] { float.NaN, float.PositiveInfinity })
        {
            foreach (int rowLength in new[] { 3, 9, 40 })
            {
                float[] parameters = TestData.ToFloat(TestData.Parameters(random, layout));
                float[] x = TestData.ToFloat(TestData.Normal(random, 4 * rowLength, 2));
                x[rowLength + rowLength / 2] = poison;                 // row 1: one poisoned entry
                x[2 * rowLength] = float.NegativeInfinity;             // row 2: a mask beside the poison
                x[2 * rowLength + rowLength - 1] = poison;
                float[] y = new float[x.Length];
                normalizer.ForwardFloat!(x, y, rowLength, parameters);

                Assert.All(y.AsSpan(rowLength, 2 * rowLength).ToArray(), v => Assert.True(float.IsNaN(v), $"{name}: {poison} row gave {v}"));
                double[] expected = layout.Bind(TestData.ToDouble(parameters)).Forward(TestData.ToDouble(x), rowLength);
                Close.All(expected.AsSpan(0, rowLength), TestData.ToDouble(y).AsSpan(0, rowLength), 1e-4, 1e-4, $"{name} row before");
                Close.All(expected.AsSpan(3 * rowLength), TestData.ToDouble(y).AsSpan(3 * rowLength), 1e-4, 1e-4, $"{name} row after");
            }
        }
    }

    /// <summary>
    /// A row whose only unmasked entries are NaN is NaN, not the zeros of a fully masked row, wherever the NaN sits: in
    /// a whole vector, in the tail vector, among the scalar entries, first or last, alone or beside finite entries
    /// (the kernels' running maximum may pass a NaN over; the row must not).
    /// </summary>
    [Theory]
    [MemberData(nameof(Catalog.Float), MemberType = typeof(Catalog))]
    public void NaNAmongMaskedEntriesMakesTheRowNaN(string name)
    {
        Normalizer normalizer = Catalog.Get(name);
        ParameterLayout layout = normalizer.Layout();
        var random = new Random(43);
        float[] parameters = TestData.ToFloat(TestData.Parameters(random, layout));
        foreach (int rowLength in new[] { 3, 9, 16, 40, 197 })
        {
            foreach (int at in new[] { 0, rowLength / 2, rowLength - 1 })
            {
                foreach (bool withFinite in new[] { false, true })
                {
                    float[] x = TestData.ToFloat(TestData.Normal(random, 3 * rowLength, 2));
                    Array.Fill(x, float.NegativeInfinity, rowLength, rowLength);
                    x[rowLength + at] = float.NaN;
                    if (withFinite)
                    {
                        x[rowLength + (at + 1) % rowLength] = 0.5f; // before the NaN in the row's order or after it
                    }

                    float[] y = new float[x.Length];
                    normalizer.ForwardFloat!(x, y, rowLength, parameters);

                    string what = $"{name}, rows of {rowLength}, NaN at {at}{(withFinite ? " beside a finite entry" : "")}";
                    Assert.All(y.AsSpan(rowLength, rowLength).ToArray(), v => Assert.True(float.IsNaN(v), $"{what}: gave {v}"));
                    double[] expected = layout.Bind(TestData.ToDouble(parameters)).Forward(TestData.ToDouble(x), rowLength);
                    Close.All(expected.AsSpan(0, rowLength), TestData.ToDouble(y).AsSpan(0, rowLength), 1e-4, 1e-4, what + ": row before");
                    Close.All(expected.AsSpan(2 * rowLength), TestData.ToDouble(y).AsSpan(2 * rowLength), 1e-4, 1e-4, what + ": row after");
                }
            }
        }
    }

    /// <inheritdoc cref="NaNAmongMaskedEntriesMakesTheRowNaN"/>
    [Theory]
    [MemberData(nameof(Catalog.Double), MemberType = typeof(Catalog))]
    public void NaNAmongMaskedEntriesMakesTheDoubleRowNaN(string name)
    {
        Normalizer normalizer = Catalog.Get(name);
        ParameterLayout layout = normalizer.Layout();
        var random = new Random(47);
        double[] parameters = TestData.Parameters(random, layout);
        foreach (int rowLength in new[] { 3, 8, 21, 99 })
        {
            foreach (int at in new[] { 0, rowLength / 2, rowLength - 1 })
            {
                double[] x = TestData.Normal(random, 2 * rowLength, 2);
                Array.Fill(x, double.NegativeInfinity, 0, rowLength);
                x[at] = double.NaN;

                double[] y = new double[x.Length];
                normalizer.ForwardDouble!(x, y, rowLength, parameters);

                Assert.All(y.AsSpan(0, rowLength).ToArray(), v => Assert.True(double.IsNaN(v), $"{name}, rows of {rowLength}, NaN at {at}: gave {v}"));
                double[] expected = layout.Bind(parameters).Forward(x, rowLength);
                Close.All(expected.AsSpan(rowLength), y.AsSpan(rowLength), 1e-12, 1e-10, $"{name}, rows of {rowLength}: row after");
            }
        }
    }

    [Fact]
    public void SingleUnmaskedEntryTakesAllTheMass()
    {
        float[] x = { float.NegativeInfinity, 3.5f, float.NegativeInfinity }, y = new float[3];
        MultiMax.Normalizers.MultiMax2(x, y, 3, TestData.ToFloat(TestData.Normal(new Random(1), 8, 2)));
        Assert.Equal(new[] { 0f, 1f, 0f }, y);
    }
}
