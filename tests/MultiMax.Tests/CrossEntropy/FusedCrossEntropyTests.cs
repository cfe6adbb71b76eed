using System;
using System.Linq;
using MultiMax.Tests.Reference;
using MultiMax.Tests.Support;
using Xunit;
using BuiltIns = global::MultiMax.Normalizers;

namespace MultiMax.Tests.CrossEntropy;

/// <summary>
/// The generated <c>&lt;Name&gt;CrossEntropy</c> and <c>&lt;Name&gt;CrossEntropyBackward</c> against
/// <see cref="ReferenceCrossEntropy"/> (every logit materialized, in double), over shapes that cut the vocabulary
/// blocks and the token chunks unevenly, with ignored targets and forbidden classes.
/// </summary>
public class FusedCrossEntropyTests
{
    /// <summary>
    /// One token; vocabularies that are not multiples of the 64-row blocks; dims that are not lane multiples; no tokens;
    /// a dim of 0 (every logit is the bias, or 0).
    /// </summary>
    public static readonly CrossEntropyCase[] Cases =
    {
        new(1, 16, 5, true, TargetMix.AllCounted),
        new(37, 20, 130, true, TargetMix.SomeIgnored),
        new(70, 16, 64, false, TargetMix.AllCounted),
        new(9, 7, 200, true, TargetMix.AllIgnored),
        new(21, 12, 97, true, TargetMix.SomeIgnored, ForbiddenClasses: true),
        new(0, 8, 10, false, TargetMix.AllCounted),
        new(13, 0, 9, true, TargetMix.SomeIgnored),
        new(5, 0, 3, false, TargetMix.AllCounted),
    };

    [Theory]
    [MemberData(nameof(CrossEntropyCatalog.Float), MemberType = typeof(CrossEntropyCatalog))]
    public void FloatMatchesTheReference(string name)
    {
        CrossEntropyOperator op = CrossEntropyCatalog.Get(name);
        foreach (CrossEntropyCase c in Cases)
        {
            Check(op, c, op.LossFloat!, op.GradientsFloat!, TestData.ToFloat, TestData.ToDouble, tolerance: 2e-5);
        }
    }

    [Theory]
    [MemberData(nameof(CrossEntropyCatalog.Double), MemberType = typeof(CrossEntropyCatalog))]
    public void DoubleMatchesTheReference(string name)
    {
        CrossEntropyOperator op = CrossEntropyCatalog.Get(name);
        foreach (CrossEntropyCase c in Cases)
        {
            Check(op, c, op.LossDouble!, op.GradientsDouble!, v => v, v => v, tolerance: 1e-11);
        }
    }

    /// <summary>
    /// Hidden states wider than the vocabulary is long: a chunk is sized by its turned hidden states too (they once took
    /// every token at once, 4 Gi entries for 1 M tokens of dim 4 096 over two classes), so here there are several.
    /// </summary>
    [Fact]
    public void ChunksOfWideHiddenStatesMatchTheReference()
    {
        CrossEntropyOperator op = CrossEntropyCatalog.Get("MultiMax2");
        var c = new CrossEntropyCase(300, 40_000, 2, true, TargetMix.SomeIgnored);
        Check(op, c, op.LossFloat!, op.GradientsFloat!, TestData.ToFloat, TestData.ToDouble, tolerance: 2e-5);
    }

    /// <summary>
    /// Dims whose chunk of turned hidden states would overflow an int (a bare OverflowException at 134 217 729) are
    /// refused up front, naming the argument and the limit.
    /// </summary>
    [Theory]
    [InlineData(CrossEntropyShape.MaxDim + 1)]
    [InlineData(134_217_729)]
    [InlineData(268_435_457)]
    public void ADimBeyondTheLimitIsRefused(int dim)
    {
        var shape = new CrossEntropyShape(1, dim, 2);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => BuiltIns.MultiMax2CrossEntropy(new float[1], new float[2], default, [0], shape, new float[8]));
        Assert.Equal("shape", e.ParamName);
        Assert.Contains($"CrossEntropyShape.MaxDim = {CrossEntropyShape.MaxDim}", e.Message);
    }

    /// <summary>
    /// A logit that overflows float to −∞ (a 1e20 hidden component against a −1e20 weight component) is masked as a
    /// bias of −∞ is: σ never sees it, and the loss and every gradient stay finite and equal the reference's, in which
    /// the same logit is −∞ in double (±1e200).
    /// </summary>
    [Fact]
    public void ALogitThatOverflowsToMinusInfinityIsMasked()
    {
        var shape = new CrossEntropyShape(9, 8, 70);
        var random = new Random(17);
        var layout = new ParameterLayout(order: 2);
        double[] h = TestData.ToDouble(TestData.ToFloat(TestData.Normal(random, (int)shape.HiddenLength, 1)));
        double[] w = TestData.ToDouble(TestData.ToFloat(TestData.Normal(random, (int)shape.WeightLength, 1)));
        double[] parameters = TestData.ToDouble(TestData.ToFloat(TestData.Parameters(random, layout)));
        long[] targets = [3, 5, 7, 0, 1, 2, 3, 4, 5];
        for (int i = 0; i < h.Length; i += shape.Dim) h[i] = 0;
        for (int i = 0; i < w.Length; i += shape.Dim) w[i] = 0;
        h[4 * shape.Dim] = 1e20;  // token 4 against class 66
        w[66 * shape.Dim] = -1e20;

        // Component 0 of dh (dW) is dz times class 66's (token 4's) huge value: linear in it, so 1e-180 of the reference's.
        double[] hReference = h.Select(x => x == 1e20 ? 1e200 : x).ToArray(), wReference = w.Select(x => x == -1e20 ? -1e200 : x).ToArray();
        var reference = new ReferenceCrossEntropy(layout.Bind(parameters), shape);
        double expectedLoss = reference.Loss(hReference, wReference, null, targets);
        (double[] dh, double[] dw, _, double[] dp) = reference.Gradients(hReference, wReference, null, targets, layout);
        for (int i = 0; i < dh.Length; i += shape.Dim) dh[i] *= 1e-180;
        for (int i = 0; i < dw.Length; i += shape.Dim) dw[i] *= 1e-180;

        float[] gh = new float[h.Length], gw = new float[w.Length], gp = new float[parameters.Length];
        double loss = BuiltIns.MultiMax2CrossEntropyBackward(TestData.ToFloat(h), TestData.ToFloat(w), [], targets, shape, TestData.ToFloat(parameters), gh, gw, [], gp);
        Assert.All(gh.Concat(gw).Concat(gp), value => Assert.True(float.IsFinite(value)));
        Close.All([expectedLoss], [loss], 2e-5, 2e-5, "loss");
        Close.All(dh, TestData.ToDouble(gh), 1e-4, 1e-3, "dHidden");
        Close.All(dw, TestData.ToDouble(gw), 1e-4, 1e-3, "dWeight");
        Close.All(dp, TestData.ToDouble(gp), 1e-4 * (1 + dp.Max(Math.Abs)), 1e-3, "parameter gradients");
    }

    /// <summary>A vocabulary so large that a chunk holds the minimum of tokens: several chunks, the last one short.</summary>
    [Fact]
    public void ManyChunksMatchTheReference()
    {
        CrossEntropyOperator op = CrossEntropyCatalog.Get("MultiMax2");
        var c = new CrossEntropyCase(37, 3, 1 << 19, true, TargetMix.SomeIgnored);
        Check(op, c, op.LossFloat!, op.GradientsFloat!, TestData.ToFloat, TestData.ToDouble, tolerance: 2e-5);
        Check(op, c, op.LossDouble!, op.GradientsDouble!, v => v, v => v, tolerance: 1e-11);
    }

    [Fact]
    public void GradientsMatchFiniteDifferencesOfTheFusedLoss()
    {
        CrossEntropyOperator op = CrossEntropyCatalog.Get("Ops.Custom");
        var random = new Random(7);
        var shape = new CrossEntropyShape(5, 4, 9);
        double[] h = TestData.Normal(random, (int)shape.HiddenLength, 1), w = TestData.Normal(random, (int)shape.WeightLength, 1);
        double[] b = TestData.Normal(random, shape.Vocab, 1), parameters = TestData.Parameters(random, op.Layout());
        long[] targets = [3, -100, 0, 8, 3];

        var dh = new double[h.Length];
        var dw = new double[w.Length];
        var db = new double[b.Length];
        var dp = new double[parameters.Length];
        op.GradientsDouble!(h, w, b, targets, shape, parameters, dh, dw, db, dp, -100);

        Close.All(FiniteDifferences.Gradient(x => op.LossDouble!(x, w, b, targets, shape, parameters, -100), h), dh, 1e-7, 1e-5, "hidden");
        Close.All(FiniteDifferences.Gradient(x => op.LossDouble!(h, x, b, targets, shape, parameters, -100), w), dw, 1e-7, 1e-5, "weight");
        Close.All(FiniteDifferences.Gradient(x => op.LossDouble!(h, w, x, targets, shape, parameters, -100), b), db, 1e-7, 1e-5, "bias");
        Close.All(FiniteDifferences.Gradient(x => op.LossDouble!(h, w, b, targets, shape, x, -100), parameters), dp, 1e-7, 1e-5, "parameters");
    }

    [Fact]
    public void ThreadedGradientsAreTheSameBitsOnEveryRun()
    {
        var random = new Random(3);
        var shape = new CrossEntropyShape(300, 64, 1000);
        float[] h = TestData.ToFloat(TestData.Normal(random, (int)shape.HiddenLength, 1));
        float[] w = TestData.ToFloat(TestData.Normal(random, (int)shape.WeightLength, 0.2));
        float[] b = TestData.ToFloat(TestData.Normal(random, shape.Vocab, 0.2));
        float[] parameters = TestData.ToFloat(TestData.Parameters(random, new ParameterLayout(order: 2)));
        long[] targets = Enumerable.Range(0, shape.Tokens).Select(_ => (long)random.Next(shape.Vocab)).ToArray();

        (double Loss, float[] Hidden, float[] Weight, float[] Bias, float[] Parameters) Run()
        {
            var dh = new float[h.Length];
            var dw = new float[w.Length];
            var db = new float[b.Length];
            var dp = new float[parameters.Length];
            double loss = BuiltIns.MultiMax2CrossEntropyBackward(h, w, b, targets, shape, parameters, dh, dw, db, dp);
            return (loss, dh, dw, db, dp);
        }

        var first = Run();
        for (int run = 0; run < 3; run++)
        {
            var again = Run();
            Assert.Equal(first.Loss, again.Loss);
            Assert.Equal(first.Parameters.Select(BitConverter.SingleToInt32Bits), again.Parameters.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(first.Hidden.Select(BitConverter.SingleToInt32Bits), again.Hidden.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(first.Weight.Select(BitConverter.SingleToInt32Bits), again.Weight.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(first.Bias.Select(BitConverter.SingleToInt32Bits), again.Bias.Select(BitConverter.SingleToInt32Bits));
        }

        Assert.Equal(first.Loss, BuiltIns.MultiMax2CrossEntropy(h, w, b, targets, shape, parameters));
    }

    [Fact]
    public void ANaNParameterMakesTheLossAndEveryGradientNaN()
    {
        var shape = new CrossEntropyShape(3, 4, 6);
        var random = new Random(5);
        float[] h = TestData.ToFloat(TestData.Normal(random, (int)shape.HiddenLength, 1));
        float[] w = TestData.ToFloat(TestData.Normal(random, (int)shape.WeightLength, 1));
        float[] parameters = new float[8];
        parameters[5] = float.NaN; // a threshold: the relu alone would hide it
        long[] targets = [1, 2, 3];
        var dh = new float[h.Length];
        var dw = new float[w.Length];
        var dp = new float[8];

        Assert.True(double.IsNaN(BuiltIns.MultiMax2CrossEntropy(h, w, default, targets, shape, parameters)));
        Assert.True(double.IsNaN(BuiltIns.MultiMax2CrossEntropyBackward(h, w, default, targets, shape, parameters, dh, dw, default, dp)));
        Assert.All(dh.Concat(dw).Concat(dp), value => Assert.True(float.IsNaN(value)));
    }

    [Fact]
    public void BadArgumentsThrowBeforeAnythingIsWritten()
    {
        var shape = new CrossEntropyShape(2, 3, 4);
        float[] h = new float[6], w = new float[12], b = new float[4], p = new float[8];
        long[] targets = [0, 3];
        float[] dh = Sentinels(6), dw = Sentinels(12), db = Sentinels(4), dp = Sentinels(8);

        void Backward(float[] hidden, float[] weight, float[] bias, long[] t, CrossEntropyShape s, float[] gh, float[] gw, float[] gb, float[] gp) =>
            BuiltIns.MultiMax2CrossEntropyBackward(hidden, weight, bias, t, s, p, gh, gw, gb, gp);

        Assert.Equal("hidden", Assert.Throws<ArgumentException>(() => Backward(new float[5], w, b, targets, shape, dh, dw, db, dp)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => Backward(h, new float[11], b, targets, shape, dh, dw, db, dp)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => Backward(h, w, new float[3], targets, shape, dh, dw, db, dp)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentOutOfRangeException>(() => Backward(h, w, b, [0, 4], shape, dh, dw, db, dp)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentOutOfRangeException>(() => Backward(h, w, b, [-1, 0], shape, dh, dw, db, dp)).ParamName);
        Assert.Equal("shape", Assert.Throws<ArgumentOutOfRangeException>(() => Backward(h, w, b, targets, new CrossEntropyShape(2, -1, 4), dh, dw, db, dp)).ParamName);
        Assert.Equal("shape", Assert.Throws<ArgumentOutOfRangeException>(() => Backward(h, w, b, targets, new CrossEntropyShape(2, 3, 0), dh, dw, db, dp)).ParamName);
        Assert.Equal("shape", Assert.Throws<ArgumentOutOfRangeException>(() => Backward(h, w, b, targets, new CrossEntropyShape(2, CrossEntropyShape.MaxDim + 1, 4), dh, dw, db, dp)).ParamName);
        Assert.Equal("biasGradient", Assert.Throws<ArgumentException>(() => Backward(h, w, b, targets, shape, dh, dw, Sentinels(0), dp)).ParamName);
        Assert.Equal("weightGradient", Assert.Throws<ArgumentException>(() => Backward(h, w, b, targets, shape, dh, Sentinels(11), db, dp)).ParamName);

        // Overlaps: an output inside an input, and two outputs in one buffer.
        float[] shared = new float[20];
        Assert.Equal("weightGradient", Assert.Throws<ArgumentException>(() =>
            BuiltIns.MultiMax2CrossEntropyBackward(shared.AsSpan(0, 6), w, b, targets, shape, p, dh, shared.AsSpan(4, 12), db, dp)).ParamName);
        Assert.Equal("parameterGradients", Assert.Throws<ArgumentException>(() =>
            BuiltIns.MultiMax2CrossEntropyBackward(h, w, b, targets, shape, shared.AsSpan(0, 8), dh, dw, db, parameterGradients: shared.AsSpan(7, 8))).ParamName);
        Assert.Equal("biasGradient", Assert.Throws<ArgumentException>(() =>
            BuiltIns.MultiMax2CrossEntropyBackward(h, w, b, targets, shape, p, dh, shared.AsSpan(0, 12), shared.AsSpan(10, 4), dp)).ParamName);

        Assert.All(dh.Concat(dw).Concat(db).Concat(dp), value => Assert.Equal(-7f, value));
    }

    private static float[] Sentinels(int length) => Enumerable.Repeat(-7f, length).ToArray();

    private static void Check<T>(
        CrossEntropyOperator op, CrossEntropyCase c, CrossEntropyLoss<T> loss, CrossEntropyGradients<T> gradients,
        Func<double[], T[]> convert, Func<T[], double[]> back, double tolerance)
        where T : struct
    {
        var random = new Random(StableSeed.Of(c.ToString()));
        CrossEntropyShape shape = c.Shape;
        ParameterLayout layout = op.Layout();
        double[] h = TestData.Normal(random, (int)shape.HiddenLength, 1);
        double[] w = TestData.Normal(random, (int)shape.WeightLength, 1 / Math.Sqrt(shape.Dim));
        double[]? b = c.Bias ? TestData.Normal(random, shape.Vocab, 0.5) : null;
        double[] parameters = TestData.Parameters(random, layout);
        long[] targets = c.DrawTargets(random);
        if (b is not null)
        {
            c.ForbidClasses(b, targets);
        }

        // Rounded once to T, so that the reference sees exactly what the kernels see.
        h = back(convert(h)); w = back(convert(w)); parameters = back(convert(parameters));
        if (b is not null)
        {
            b = back(convert(b));
        }

        var reference = new ReferenceCrossEntropy(layout.Bind(parameters), shape);
        double expectedLoss = reference.Loss(h, w, b, targets);
        (double[] dh, double[] dw, double[] db, double[] dp) = reference.Gradients(h, w, b, targets, layout);

        T[] bias = b is null ? [] : convert(b);
        var gh = new T[h.Length];
        var gw = new T[w.Length];
        var gb = new T[bias.Length];
        var gp = new T[parameters.Length];
        double lossOnly = loss(convert(h), convert(w), bias, targets, shape, convert(parameters), -100);
        double lossWithGradients = gradients(convert(h), convert(w), bias, targets, shape, convert(parameters), gh, gw, gb, gp, -100);

        string what = $"{op.Name} {typeof(T).Name} {c}";
        Close.All([expectedLoss], [lossOnly], tolerance, tolerance, what + " loss");
        Assert.Equal(lossOnly, lossWithGradients);
        Close.All(dh, back(gh), tolerance, tolerance * 10, what + " dHidden");
        Close.All(dw, back(gw), tolerance, tolerance * 10, what + " dWeight");
        if (b is not null)
        {
            Close.All(db, back(gb), tolerance, tolerance * 10, what + " dBias");
        }

        double scale = 1 + dp.Select(Math.Abs).DefaultIfEmpty(0).Max();
        Close.All(dp, back(gp), tolerance * 10 * scale, tolerance * 50, what + " parameter gradients");
    }
}
