using System;
using System.Linq;
using MultiMax.Tests.Reference;
using MultiMax.Tests.Support;
using Xunit;
using BuiltIns = global::MultiMax.Normalizers;

namespace MultiMax.Tests.Attention;

/// <summary>
/// What a hostile but realistic caller gives the span attention: head sizes and head counts at which index products
/// pass <see cref="int.MaxValue"/>, scores that overflow to −∞, NaN in the rows of padding keys at every tile position,
/// and shapes with an empty extent. Each is a clear exception before anything is written, or the reference's result.
/// </summary>
public class HostileAttentionTests
{
    private const float Untouched = 12345f;

    /// <summary>
    /// Head sizes whose [64 × headSize] tiles overflow an int index (the backward used to write out of bounds at
    /// 67 108 865) are refused up front, naming the argument and the limit, with nothing written.
    /// </summary>
    [Theory]
    [InlineData(AttentionShape.MaxHeadSize + 1)]
    [InlineData(33_554_433)]
    [InlineData(67_108_865)]
    public void AHeadSizeBeyondTheLimitIsRefusedBeforeAnythingIsWritten(int headSize)
    {
        // The shape is checked before the lengths: small buffers stand in for the 256 MiB ones.
        var shape = new AttentionShape(1, 1, 1, 1, headSize);
        float[] q = new float[4], o = Enumerable.Repeat(Untouched, 4).ToArray(), dq = Enumerable.Repeat(Untouched, 4).ToArray();
        var l = new float[1];

        var forward = Assert.Throws<ArgumentOutOfRangeException>(() => BuiltIns.SoftMaxAttention(q, q, q, o, l, shape));
        Assert.Equal("shape", forward.ParamName);
        Assert.Contains($"AttentionShape.MaxHeadSize = {AttentionShape.MaxHeadSize}", forward.Message);
        var backward = Assert.Throws<ArgumentOutOfRangeException>(() =>
            BuiltIns.SoftMaxAttentionBackward(q, q, q, q, l, q, dq, new float[4], new float[4], shape));
        Assert.Equal("shape", backward.ParamName);
        Assert.All(o, value => Assert.Equal(Untouched, value));
        Assert.All(dq, value => Assert.Equal(Untouched, value));
    }

    /// <summary>The largest head size the kernels take runs, against the reference: strides of 64 × 65 536 entries.</summary>
    [Fact]
    public void TheLargestHeadSizeMatchesTheReference() =>
        CheckAgainstReference(new AttentionCase(1, 1, 3, 5, AttentionShape.MaxHeadSize, true, KeyPadding.SomeKeys), tolerance: 1e-9);

    /// <summary>
    /// More heads than the backward holds parameter sums for at once (its groups of 4 096; heads × parameters once
    /// overflowed an int past 268 M heads and threw with no argument named), threaded: the reference's gradients.
    /// </summary>
    [Fact]
    public void ManyHeadsInGroupsMatchTheReference() =>
        CheckAgainstReference(new AttentionCase(2, 2100, 16, 16, 4, false, KeyPadding.SomeKeys), tolerance: 1e-9);

    /// <summary>
    /// Query and key counts whose block loops would pass int.MaxValue (a head size of 0 lets them through the length
    /// checks with empty spans) are refused up front, not looped over forever.
    /// </summary>
    [Fact]
    public void ASequenceBeyondTheLimitIsRefused()
    {
        var shape = new AttentionShape(1, 1, 1, int.MaxValue, 0);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => BuiltIns.SoftMaxAttention([], [], [], [], new float[1], shape));
        Assert.Equal("shape", e.ParamName);
        Assert.Contains("AttentionShape.MaxSequenceLength", e.Message);
    }

    /// <summary>
    /// A call with no query, no key and a huge head count has nothing to write but the parameter gradients (0; NaN
    /// under a NaN parameter): it runs without allocating per head.
    /// </summary>
    [Fact]
    public void AHugeHeadCountWithNothingToComputeWritesZeroParameterGradients()
    {
        var shape = new AttentionShape(1 << 20, 1 << 12, 0, 0, 64);
        float[] parameters = new float[8], gradients = Enumerable.Repeat(Untouched, 8).ToArray();
        BuiltIns.MultiMax2Attention([], [], [], [], [], shape, parameters);
        BuiltIns.MultiMax2AttentionBackward([], [], [], [], [], [], [], [], [], shape, parameters, gradients);
        Assert.All(gradients, value => Assert.Equal(0f, value));

        parameters[5] = float.NaN;
        BuiltIns.MultiMax2AttentionBackward([], [], [], [], [], [], [], [], [], shape, parameters, gradients);
        Assert.All(gradients, value => Assert.True(float.IsNaN(value)));
    }

    /// <summary>
    /// q·k that overflows to −∞ (a 1e20 query against a −1e20 key in float) is masked as the materialized formula masks
    /// it, never passed through σ (σ(−∞) = 0·∞ is NaN for MultiMax): every output and gradient is finite and equals the
    /// reference's, in which the same pair is −∞ in double.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)] // one query per head: a decode step, its scores straight from the key rows
    public void AScoreThatOverflowsToMinusInfinityIsMasked(bool decode)
    {
        var c = new AttentionCase(2, 2, decode ? 1 : 70, 67, 16, !decode, KeyPadding.SomeKeys);
        int overflowing = decode ? 0 : 66;
        AttentionShape shape = c.Shape;
        var random = new Random(11);
        double[] q = TestData.Normal(random, (int)shape.QueryLength, 1), k = TestData.Normal(random, (int)shape.KeyLength, 1);
        double[] v = TestData.Normal(random, (int)shape.KeyLength, 1), dO = TestData.Normal(random, (int)shape.QueryLength, 1);
        var layout = new ParameterLayout(order: 2);
        double[] parameters = TestData.ToDouble(TestData.ToFloat(TestData.Parameters(random, layout)));
        bool[]? padding = c.DrawMask(random);
        q = TestData.ToDouble(TestData.ToFloat(q)); k = TestData.ToDouble(TestData.ToFloat(k));
        v = TestData.ToDouble(TestData.ToFloat(v)); dO = TestData.ToDouble(TestData.ToFloat(dO));

        // Component 0 is zero but for one query and one key per head (query 66, or the one query of a decode step, against
        // key 3, which it sees): their product alone overflows, every other score stays as it was.
        for (int i = 0; i < q.Length; i += shape.HeadSize) q[i] = 0;
        for (int j = 0; j < k.Length; j += shape.HeadSize) k[j] = 0;
        for (int head = 0; head < shape.HeadCount; head++)
        {
            if (padding is not null) padding[head / shape.Heads * shape.Keys + 3] = false;
            q[(head * shape.Queries + overflowing) * shape.HeadSize] = 1e20;
            k[(head * shape.Keys + 3) * shape.HeadSize] = -1e20;
        }

        // The reference sees ±1e200: the same pair is −∞ in double, and every other score is the same.
        double[] qReference = q.Select(x => x == 1e20 ? 1e200 : x).ToArray(), kReference = k.Select(x => x == -1e20 ? -1e200 : x).ToArray();
        var reference = new ReferenceAttention(layout.Bind(parameters), shape, padding, c.Causal, shape.DefaultScale);
        (double[] expectedOutput, _) = reference.Forward(qReference, kReference, v);
        (double[] dq, double[] dk, double[] dv, double[] dp, _, _) = reference.Backward(qReference, kReference, v, dO, layout);
        // Component 0 of dq (dk) is ds times the one key's (query's) 1e200 there: linear in it, so the kernels' is 1e-180 of it.
        for (int i = 0; i < dq.Length; i += shape.HeadSize) dq[i] *= 1e-180;
        for (int j = 0; j < dk.Length; j += shape.HeadSize) dk[j] *= 1e-180;

        float[] output = new float[shape.QueryLength], logSumExp = new float[shape.LogSumExpLength];
        float[] gq = new float[q.Length], gk = new float[k.Length], gv = new float[v.Length], gp = new float[parameters.Length];
        float[] qf = TestData.ToFloat(q), kf = TestData.ToFloat(k), vf = TestData.ToFloat(v), pf = TestData.ToFloat(parameters);
        BuiltIns.MultiMax2Attention(qf, kf, vf, output, logSumExp, shape, pf, padding, c.Causal);
        BuiltIns.MultiMax2AttentionBackward(qf, kf, vf, output, logSumExp, TestData.ToFloat(dO), gq, gk, gv, shape, pf, gp, padding, c.Causal);

        Assert.All(output.Concat(gq).Concat(gk).Concat(gv).Concat(gp), value => Assert.True(float.IsFinite(value)));
        Close.All(expectedOutput, TestData.ToDouble(output), 2e-4, 2e-3, "output");
        Close.All(dq, TestData.ToDouble(gq), 1e-3, 1e-2, "dQuery");
        Close.All(dk, TestData.ToDouble(gk), 1e-3, 1e-2, "dKey");
        Close.All(dv, TestData.ToDouble(gv), 1e-3, 1e-2, "dValue");
        Close.All(dp, TestData.ToDouble(gp), 4e-3 * (1 + dp.Max(Math.Abs)), 1e-2, "parameter gradients");
    }

    /// <summary>
    /// A padding key is never read: NaN and ∞ in its key and value rows — in a tile of padding alone, beside real keys,
    /// at a tile's first and last column and in the last, partial tile — change no bit of any output or gradient.
    /// </summary>
    [Theory]
    [InlineData(false, 130)]
    [InlineData(true, 130)]
    [InlineData(false, 5)] // a few queries: scores straight from the key rows
    public void PaddingRowsAreNeverRead(bool causal, int queries)
    {
        var shape = new AttentionShape(2, 2, queries, 200, 16); // 130 queries: enough work to run threaded
        var random = new Random(13);
        float[] q = TestData.ToFloat(TestData.Normal(random, (int)shape.QueryLength, 1)), k = TestData.ToFloat(TestData.Normal(random, (int)shape.KeyLength, 1));
        float[] v = TestData.ToFloat(TestData.Normal(random, (int)shape.KeyLength, 1)), dO = TestData.ToFloat(TestData.Normal(random, (int)shape.QueryLength, 1));
        float[] parameters = TestData.ToFloat(TestData.Parameters(random, new ParameterLayout(order: 2)));
        int[] padded = [0, 5, 63, 64, 127, 128, 129, 150, 199];
        var padding = new bool[shape.MaskLength];
        foreach (int key in padded)
        {
            padding[key] = true;
        }

        for (int key = 130; key < 200; key++)
        {
            padding[shape.Keys + key] = true; // the second sequence: a partial tile and a tile of padding alone
        }

        (float[] Output, float[] Dq, float[] Dk, float[] Dv, float[] Dp) Run(bool poison)
        {
            float[] key = (float[])k.Clone(), value = (float[])v.Clone();
            for (int head = 0; head < shape.HeadCount; head++)
            {
                for (int j = 0; j < shape.Keys; j++)
                {
                    if (padding[head / shape.Heads * shape.Keys + j])
                    {
                        key.AsSpan((head * shape.Keys + j) * shape.HeadSize, shape.HeadSize).Fill(poison ? float.NaN : 0);
                        value.AsSpan((head * shape.Keys + j) * shape.HeadSize, shape.HeadSize).Fill(!poison ? 0 : j % 2 == 0 ? float.NaN : float.PositiveInfinity);
                    }
                }
            }

            float[] output = new float[shape.QueryLength], logSumExp = new float[shape.LogSumExpLength];
            float[] dq = new float[q.Length], dk = new float[k.Length], dv = new float[v.Length], dp = new float[parameters.Length];
            BuiltIns.MultiMax2Attention(q, key, value, output, logSumExp, shape, parameters, padding, causal);
            BuiltIns.MultiMax2AttentionBackward(q, key, value, output, logSumExp, dO, dq, dk, dv, shape, parameters, dp, padding, causal);
            return (output, dq, dk, dv, dp);
        }

        var clean = Run(poison: false);
        var poisoned = Run(poison: true);
        Assert.All(poisoned.Output.Concat(poisoned.Dq).Concat(poisoned.Dk).Concat(poisoned.Dv).Concat(poisoned.Dp), value => Assert.True(float.IsFinite(value)));
        Assert.Equal(Bits(clean.Output), Bits(poisoned.Output));
        Assert.Equal(Bits(clean.Dq), Bits(poisoned.Dq));
        Assert.Equal(Bits(clean.Dk), Bits(poisoned.Dk));
        Assert.Equal(Bits(clean.Dv), Bits(poisoned.Dv));
        Assert.Equal(Bits(clean.Dp), Bits(poisoned.Dp));
    }

    /// <summary>
    /// Empty extents, as in torch: no batch or no head (nothing to compute), and a head size of 0 (every score an empty
    /// dot product, 0: the log-sum-exp is σ(0) + log of the visible keys, and the parameter gradients are 0).
    /// </summary>
    [Theory]
    [InlineData(0, 2, 5, 7, 16)]
    [InlineData(2, 0, 5, 7, 16)]
    [InlineData(2, 2, 5, 7, 0)]
    [InlineData(2, 2, 0, 0, 0)]
    public void EmptyShapesMatchTheReference(int batch, int heads, int queries, int keys, int headSize)
    {
        CheckAgainstReference(new AttentionCase(batch, heads, queries, keys, headSize, true, KeyPadding.SomeKeys), tolerance: 1e-12);
        CheckAgainstReference(new AttentionCase(batch, heads, queries, keys, headSize, false, KeyPadding.None), tolerance: 1e-12);
    }

    /// <summary>The case with MultiMax2 in double against the reference, as <see cref="FusedAttentionTests"/> checks every operator.</summary>
    private static void CheckAgainstReference(AttentionCase c, double tolerance)
    {
        AttentionOperator op = AttentionCatalog.Get("MultiMax2");
        FusedAttentionTests.Check(op, c, op.ForwardDouble!, op.BackwardDouble!, v => v, v => v, tolerance);
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
