using System;
using System.Linq;
using MultiMax.Tests.Reference;
using MultiMax.Tests.Support;
using Xunit;
using BuiltIns = global::MultiMax.Normalizers;

namespace MultiMax.Tests.Attention;

/// <summary>
/// The generated <c>&lt;Name&gt;Attention</c> and <c>&lt;Name&gt;AttentionBackward</c> against <see cref="ReferenceAttention"/>
/// (every score row materialized, in double) over shapes that cut tiles unevenly, with every mask.
/// </summary>
public class FusedAttentionTests
{
    /// <summary>
    /// One query; counts that are not multiples of the tiles; queries ≠ keys; head sizes 16 to 128 and one that is not a
    /// lane multiple; decode steps (at most 8 queries: scores straight from the key rows) against several key tiles and
    /// against 4 096; the model shapes' classes: many small heads (50 tokens, d16, as the vision demo, on the threads)
    /// and padded tails (tiles only as wide as their real keys).
    /// </summary>
    public static readonly AttentionCase[] Cases =
    {
        new(1, 1, 1, 1, 16, false, KeyPadding.None),
        new(2, 3, 70, 67, 16, false, KeyPadding.SomeKeys),
        new(1, 2, 65, 130, 64, true, KeyPadding.None),
        new(2, 1, 33, 40, 20, true, KeyPadding.SomeKeys),
        new(2, 2, 5, 9, 16, false, KeyPadding.LastSequence),
        new(1, 1, 130, 70, 16, true, KeyPadding.LastSequence),
        new(1, 1, 3, 0, 16, false, KeyPadding.None),
        new(1, 1, 40, 64, 128, false, KeyPadding.None),
        new(2, 3, 1, 200, 64, false, KeyPadding.SomeKeys),
        new(1, 2, 8, 131, 20, true, KeyPadding.SomeKeys),
        new(2, 2, 3, 70, 16, false, KeyPadding.LastSequence),
        new(4, 8, 50, 50, 16, false, KeyPadding.None),
        new(1, 2, 1, 4096, 64, false, KeyPadding.None),
        new(2, 3, 100, 100, 32, false, KeyPadding.Tail),
        new(3, 2, 70, 197, 16, true, KeyPadding.Tail),
    };

    [Theory]
    [MemberData(nameof(AttentionCatalog.Float), MemberType = typeof(AttentionCatalog))]
    public void FloatMatchesTheReference(string name)
    {
        AttentionOperator op = AttentionCatalog.Get(name);
        foreach (AttentionCase c in Cases)
        {
            Check(op, c, op.ForwardFloat!, op.BackwardFloat!, TestData.ToFloat, TestData.ToDouble, tolerance: 2e-4);
        }
    }

    [Theory]
    [MemberData(nameof(AttentionCatalog.Double), MemberType = typeof(AttentionCatalog))]
    public void DoubleMatchesTheReference(string name)
    {
        AttentionOperator op = AttentionCatalog.Get(name);
        foreach (AttentionCase c in Cases)
        {
            Check(op, c, op.ForwardDouble!, op.BackwardDouble!, v => v, v => v, tolerance: 1e-10);
        }
    }

    [Fact]
    public void ParameterGradientsMatchFiniteDifferencesOfTheFusedForward()
    {
        AttentionOperator op = AttentionCatalog.Get("Ops.Custom");
        var random = new Random(7);
        var c = new AttentionCase(1, 2, 5, 7, 16, true, KeyPadding.None);
        AttentionShape shape = c.Shape;
        double[] q = TestData.Normal(random, (int)shape.QueryLength, 1), k = TestData.Normal(random, (int)shape.KeyLength, 1);
        double[] v = TestData.Normal(random, (int)shape.KeyLength, 1), dO = TestData.Normal(random, (int)shape.QueryLength, 1);
        double[] parameters = TestData.Parameters(random, op.Layout());

        double Loss(double[] p)
        {
            var o = new double[shape.QueryLength];
            op.ForwardDouble!(q, k, v, o, new double[shape.LogSumExpLength], shape, p, default, c.Causal, null);
            return o.Zip(dO, (a, b) => a * b).Sum();
        }

        var output = new double[shape.QueryLength];
        var logSumExp = new double[shape.LogSumExpLength];
        op.ForwardDouble!(q, k, v, output, logSumExp, shape, parameters, default, c.Causal, null);
        var gradients = new double[parameters.Length];
        op.BackwardDouble!(q, k, v, output, logSumExp, dO, new double[q.Length], new double[k.Length], new double[v.Length],
            shape, parameters, gradients, default, c.Causal, null);

        Close.All(FiniteDifferences.Gradient(Loss, parameters), gradients, 1e-6, 1e-5, "parameter gradients");
    }

    /// <summary>A few long heads (tiles of a head on several threads' turns), and many small ones (the vision demo's).</summary>
    [Theory]
    [InlineData(1, 4, 256, 32)]
    [InlineData(16, 4, 50, 16)]
    public void ThreadedGradientsAreTheSameBitsOnEveryRun(int batch, int heads, int tokens, int headSize)
    {
        var random = new Random(3);
        var shape = new AttentionShape(batch, heads, tokens, tokens, headSize);
        float[] q = TestData.ToFloat(TestData.Normal(random, (int)shape.QueryLength, 1));
        float[] k = TestData.ToFloat(TestData.Normal(random, (int)shape.KeyLength, 1));
        float[] v = TestData.ToFloat(TestData.Normal(random, (int)shape.KeyLength, 1));
        float[] dO = TestData.ToFloat(TestData.Normal(random, (int)shape.QueryLength, 1));
        float[] parameters = TestData.ToFloat(TestData.Parameters(random, new ParameterLayout(order: 2)));

        (float[] Dq, float[] Parameters) Run()
        {
            var o = new float[shape.QueryLength];
            var l = new float[shape.LogSumExpLength];
            BuiltIns.MultiMax2Attention(q, k, v, o, l, shape, parameters);
            var dq = new float[q.Length];
            var gradients = new float[parameters.Length];
            BuiltIns.MultiMax2AttentionBackward(q, k, v, o, l, dO, dq, new float[k.Length], new float[v.Length], shape, parameters, gradients);
            return (dq, gradients);
        }

        (float[] dq1, float[] p1) = Run();
        for (int run = 0; run < 3; run++)
        {
            (float[] dq2, float[] p2) = Run();
            Assert.Equal(p1.Select(BitConverter.SingleToInt32Bits), p2.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(dq1.Select(BitConverter.SingleToInt32Bits), dq2.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void ANaNParameterMakesEveryQueryWithAVisibleKeyNaN()
    {
        var random = new Random(5);
        var shape = new AttentionShape(2, 1, 3, 4, 16);
        float[] q = TestData.ToFloat(TestData.Normal(random, (int)shape.QueryLength, 1));
        float[] k = TestData.ToFloat(TestData.Normal(random, (int)shape.KeyLength, 1));
        float[] parameters = new float[8];
        parameters[5] = float.NaN; // a threshold: the relu alone would hide it
        bool[] padding = [false, false, true, false, true, true, true, true];
        var o = new float[shape.QueryLength];
        var l = new float[shape.LogSumExpLength];
        BuiltIns.MultiMax2Attention(q, k, k, o, l, shape, parameters, padding);

        Assert.All(o.AsSpan(0, 3 * 16).ToArray(), value => Assert.True(float.IsNaN(value)));
        Assert.All(o.AsSpan(3 * 16).ToArray(), value => Assert.Equal(0f, value)); // the padded sequence sees nothing
        var gradients = new float[8];
        float[] dO = TestData.ToFloat(TestData.Normal(random, (int)shape.QueryLength, 1));
        float[] dq = new float[q.Length], dk = new float[k.Length], dv = new float[k.Length];
        BuiltIns.MultiMax2AttentionBackward(q, k, k, o, l, dO, dq, dk, dv, shape, parameters, gradients, padding);
        Assert.All(gradients, value => Assert.True(float.IsNaN(value)));

        // Masked pairs still add nothing: a padding key's dK and dV, and the padded sequence's dQ, are 0.
        Assert.All(dk.AsSpan(2 * 16, 16).ToArray().Concat(dv.AsSpan(2 * 16, 16).ToArray()), value => Assert.Equal(0f, value));
        Assert.All(dk.AsSpan(4 * 16).ToArray().Concat(dv.AsSpan(4 * 16).ToArray()).Concat(dq.AsSpan(3 * 16).ToArray()), value => Assert.Equal(0f, value));
        Assert.All(dq.AsSpan(0, 3 * 16).ToArray(), value => Assert.True(float.IsNaN(value)));
    }

    /// <summary>One case of <paramref name="op"/> in one element type against the reference: output, log-sum-exp and every gradient.</summary>
    internal static void Check<T>(
        AttentionOperator op, AttentionCase c, AttentionForward<T> forward, AttentionBackward<T> backward,
        Func<double[], T[]> convert, Func<T[], double[]> back, double tolerance)
        where T : struct
    {
        var random = new Random(StableSeed.Of(c.ToString()));
        AttentionShape shape = c.Shape;
        ParameterLayout layout = op.Layout();
        double[] q = TestData.Normal(random, (int)shape.QueryLength, 1), k = TestData.Normal(random, (int)shape.KeyLength, 1);
        double[] v = TestData.Normal(random, (int)shape.KeyLength, 1), dO = TestData.Normal(random, (int)shape.QueryLength, 1);
        double[] parameters = TestData.Parameters(random, layout);
        bool[]? padding = c.DrawMask(random);

        // Rounded once to T, so that the reference sees exactly what the kernels see.
        q = back(convert(q)); k = back(convert(k)); v = back(convert(v)); dO = back(convert(dO)); parameters = back(convert(parameters));
        var reference = new ReferenceAttention(layout.Bind(parameters), shape, padding, c.Causal, shape.DefaultScale);
        (double[] expectedOutput, double[] expectedLogSumExp) = reference.Forward(q, k, v);
        (double[] dq, double[] dk, double[] dv, double[] dp, _, _) = reference.Backward(q, k, v, dO, layout);

        var output = new T[shape.QueryLength];
        var logSumExp = new T[shape.LogSumExpLength];
        forward(convert(q), convert(k), convert(v), output, logSumExp, shape, convert(parameters), padding, c.Causal, null);
        var gq = new T[q.Length];
        var gk = new T[k.Length];
        var gv = new T[v.Length];
        var gp = new T[parameters.Length];
        backward(convert(q), convert(k), convert(v), output, logSumExp, convert(dO), gq, gk, gv, shape, convert(parameters), gp, padding, c.Causal, null);

        string what = $"{op.Name} {typeof(T).Name} {c}";
        Close.All(expectedOutput, back(output), tolerance, tolerance * 10, what + " output");
        Close.All(expectedLogSumExp, back(logSumExp), tolerance, tolerance * 10, what + " logSumExp");
        Close.All(dq, back(gq), tolerance * 5, tolerance * 50, what + " dQuery");
        Close.All(dk, back(gk), tolerance * 5, tolerance * 50, what + " dKey");
        Close.All(dv, back(gv), tolerance * 5, tolerance * 50, what + " dValue");
        double scale = 1 + dp.Select(Math.Abs).DefaultIfEmpty(0).Max();
        Close.All(dp, back(gp), tolerance * 20 * scale, tolerance * 50, what + " parameter gradients");
    }
}
