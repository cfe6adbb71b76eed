using System;
using System.Linq;
using System.Numerics;
using MultiMax.Tests.Declarations;
using MultiMax.Tests.Reference;
using MultiMax.Tests.Support;
using Xunit;
using BuiltIns = global::MultiMax.Normalizers;

namespace MultiMax.Tests.Attention;

/// <summary>A generated <c>&lt;Name&gt;Attention</c> with options, with an empty parameters span where the declaration has none.</summary>
public delegate void AttentionForwardWithOptions<T>(
    ReadOnlySpan<T> query, ReadOnlySpan<T> key, ReadOnlySpan<T> value, Span<T> output, Span<T> logSumExp,
    AttentionShape shape, ReadOnlySpan<T> parameters, AttentionOptions<T> options)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>A generated <c>&lt;Name&gt;AttentionBackward</c> with options, likewise.</summary>
public delegate void AttentionBackwardWithOptions<T>(
    ReadOnlySpan<T> query, ReadOnlySpan<T> key, ReadOnlySpan<T> value, ReadOnlySpan<T> output, ReadOnlySpan<T> logSumExp,
    ReadOnlySpan<T> outputGradient, Span<T> queryGradient, Span<T> keyGradient, Span<T> valueGradient,
    AttentionShape shape, ReadOnlySpan<T> parameters, Span<T> parameterGradients, AttentionOptions<T> options,
    Span<T> biasGradient, Span<T> sinkGradient)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// The attention features of the options overloads — grouped-query heads, bottom-right alignment, sliding windows, a
/// broadcast bias and sinks, alone and combined — against <see cref="ReferenceAttention"/> in double: output,
/// log-sum-exp and the gradients of query, key, value, the parameters, the bias and the sinks.
/// </summary>
public class AttentionFeaturesTests
{
    /// <summary>Which bias a case adds: none, or one whose shape broadcasts along the named extents.</summary>
    public enum BiasKind
    {
        None,
        Full,
        SharedByBatch,
        PerKey,
        PerQuery,
        /// <summary>A full bias with a few −∞ entries, and a whole row of them: they mask exactly.</summary>
        WithMaskedEntries,
    }

    public sealed record Case(
        int Batch, int Heads, int KeyValueHeads, int Queries, int Keys, int HeadSize,
        bool Causal = false, CausalAlignment Alignment = CausalAlignment.TopLeft, (int Left, int Right)? Window = null,
        BiasKind Bias = BiasKind.None, bool Sinks = false, KeyPadding Padding = KeyPadding.None)
    {
        public AttentionShape Shape => new(Batch, Heads, Queries, Keys, HeadSize) { KeyValueHeads = KeyValueHeads };

        public AttentionBiasShape BiasShape => Bias switch
        {
            BiasKind.None => default,
            BiasKind.SharedByBatch => new(1, Heads, Queries, Keys),
            BiasKind.PerKey => new(Batch, 1, 1, Keys),
            BiasKind.PerQuery => new(1, 1, Queries, 1),
            _ => AttentionBiasShape.Full(Shape),
        };

        public override string ToString() =>
            $"[{Batch}×{Heads}/{KeyValueHeads}, {Queries}q × {Keys}k, d{HeadSize}{(Causal ? ", causal" : "")}, {Alignment}, window {Window?.ToString() ?? "none"}, bias {Bias}, sinks {Sinks}, {Padding}]";
    }

    public static readonly Case[] Cases =
    {
        // Grouped-query and multi-query heads; a decode step (at most 8 queries: scores from the key rows).
        new(2, 6, 2, 70, 67, 16),
        new(1, 4, 1, 5, 130, 20, Causal: true, Alignment: CausalAlignment.BottomRight),
        // Bottom-right causal: a chunk of queries against a longer cache, and more queries than keys (early ones see nothing).
        new(1, 2, 2, 70, 130, 16, Causal: true, Alignment: CausalAlignment.BottomRight),
        new(1, 1, 1, 20, 9, 16, Causal: true, Alignment: CausalAlignment.BottomRight, Sinks: true),
        // Windows: causal local attention over several tiles, two-sided, wider than the sequence, width 0.
        new(1, 2, 1, 200, 200, 16, Causal: true, Window: (20, 0)),
        new(1, 1, 1, 150, 150, 16, Window: (5, 7)),
        new(1, 1, 1, 33, 40, 16, Window: (1000, 1000)),
        new(1, 2, 2, 70, 70, 16, Causal: true, Window: (0, 0)),
        new(1, 1, 1, 3, 140, 16, Window: (10, 3), Alignment: CausalAlignment.BottomRight),
        // Biases broadcast every way, and −∞ entries.
        new(2, 3, 3, 70, 67, 16, Bias: BiasKind.Full),
        new(3, 2, 1, 40, 70, 16, Bias: BiasKind.SharedByBatch, Causal: true),
        new(2, 2, 2, 9, 70, 16, Bias: BiasKind.PerKey, Padding: KeyPadding.SomeKeys),
        new(2, 2, 2, 70, 20, 16, Bias: BiasKind.PerQuery),
        new(1, 2, 2, 33, 40, 20, Bias: BiasKind.WithMaskedEntries),
        // Sinks alone, with fully masked queries.
        new(2, 3, 3, 70, 67, 16, Sinks: true),
        new(2, 2, 1, 5, 9, 16, Sinks: true, Padding: KeyPadding.LastSequence),
        // Everything at once.
        new(2, 4, 2, 70, 130, 16, Causal: true, Alignment: CausalAlignment.BottomRight, Window: (50, 0),
            Bias: BiasKind.SharedByBatch, Sinks: true, Padding: KeyPadding.SomeKeys),
    };

    private sealed record Operator(string Name, Func<ParameterLayout> Layout,
        AttentionForwardWithOptions<float>? ForwardFloat, AttentionBackwardWithOptions<float>? BackwardFloat,
        AttentionForwardWithOptions<double>? ForwardDouble, AttentionBackwardWithOptions<double>? BackwardDouble);

    private static readonly Operator[] Operators =
    {
        new("SoftMax", () => new ParameterLayout(),
            (q, k, v, o, l, s, _, options) => BuiltIns.SoftMaxAttention(q, k, v, o, l, s, options),
            (q, k, v, o, l, g, dq, dk, dv, s, _, _, options, db, dc) => BuiltIns.SoftMaxAttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, options, db, dc),
            (q, k, v, o, l, s, _, options) => BuiltIns.SoftMaxAttention(q, k, v, o, l, s, options),
            (q, k, v, o, l, g, dq, dk, dv, s, _, _, options, db, dc) => BuiltIns.SoftMaxAttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, options, db, dc)),
        new("MultiMax2", () => new ParameterLayout(order: 2),
            (q, k, v, o, l, s, p, options) => BuiltIns.MultiMax2Attention(q, k, v, o, l, s, p, options),
            (q, k, v, o, l, g, dq, dk, dv, s, p, dp, options, db, dc) => BuiltIns.MultiMax2AttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, p, dp, options, db, dc),
            (q, k, v, o, l, s, p, options) => BuiltIns.MultiMax2Attention(q, k, v, o, l, s, p, options),
            (q, k, v, o, l, g, dq, dk, dv, s, p, dp, options, db, dc) => BuiltIns.MultiMax2AttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, p, dp, options, db, dc)),
        new("Ops.Custom", () => new ParameterLayout().With(Side.Below, 1, 2.0, -1.0).With(Side.Above, 2), null, null,
            (q, k, v, o, l, s, p, options) => Ops.CustomAttention(q, k, v, o, l, s, p, options),
            (q, k, v, o, l, g, dq, dk, dv, s, p, dp, options, db, dc) => Ops.CustomAttentionBackward(q, k, v, o, l, g, dq, dk, dv, s, p, dp, options, db, dc)),
    };

    [Theory]
    [InlineData("SoftMax")]
    [InlineData("MultiMax2")]
    public void FloatMatchesTheReference(string name)
    {
        Operator op = Operators.Single(o => o.Name == name);
        foreach (Case c in Cases)
        {
            Check(op, c, op.ForwardFloat!, op.BackwardFloat!, TestData.ToFloat, TestData.ToDouble, tolerance: 2e-4);
        }
    }

    [Theory]
    [InlineData("SoftMax")]
    [InlineData("MultiMax2")]
    [InlineData("Ops.Custom")]
    public void DoubleMatchesTheReference(string name)
    {
        Operator op = Operators.Single(o => o.Name == name);
        foreach (Case c in Cases)
        {
            Check(op, c, op.ForwardDouble!, op.BackwardDouble!, v => v, v => v, tolerance: 1e-10);
        }
    }

    /// <summary>The bias and sink gradients against central differences of the fused forward, in double.</summary>
    [Fact]
    public void BiasAndSinkGradientsMatchFiniteDifferences()
    {
        Operator op = Operators.Single(o => o.Name == "Ops.Custom");
        var c = new Case(2, 2, 1, 6, 9, 16, Causal: true, Alignment: CausalAlignment.BottomRight, Bias: BiasKind.SharedByBatch, Sinks: true);
        var random = new Random(11);
        AttentionShape shape = c.Shape;
        (double[] q, double[] k, double[] v, double[] dO, double[] parameters, double[] bias, double[] sinks) = Draw(random, c, op.Layout());

        double Loss(double[] b, double[] s)
        {
            var o = new double[shape.QueryLength];
            op.ForwardDouble!(q, k, v, o, new double[shape.LogSumExpLength], shape, parameters, Options(c, b, s, null));
            return o.Zip(dO, (a, g) => a * g).Sum();
        }

        var output = new double[shape.QueryLength];
        var logSumExp = new double[shape.LogSumExpLength];
        op.ForwardDouble!(q, k, v, output, logSumExp, shape, parameters, Options(c, bias, sinks, null));
        var biasGradient = new double[bias.Length];
        var sinkGradient = new double[sinks.Length];
        op.BackwardDouble!(q, k, v, output, logSumExp, dO, new double[q.Length], new double[k.Length], new double[v.Length], shape,
            parameters, new double[parameters.Length], Options(c, bias, sinks, null), biasGradient, sinkGradient);

        const double h = 1e-6;
        for (int i = 0; i < bias.Length; i += 7)
        {
            double[] plus = (double[])bias.Clone(), minus = (double[])bias.Clone();
            plus[i] += h;
            minus[i] -= h;
            Assert.Equal((Loss(plus, sinks) - Loss(minus, sinks)) / (2 * h), biasGradient[i], 1e-6);
        }

        for (int i = 0; i < sinks.Length; i++)
        {
            double[] plus = (double[])sinks.Clone(), minus = (double[])sinks.Clone();
            plus[i] += h;
            minus[i] -= h;
            Assert.Equal((Loss(bias, plus) - Loss(bias, minus)) / (2 * h), sinkGradient[i], 1e-6);
        }
    }

    /// <summary>
    /// With threads (a shape past the parallel threshold), grouped-query dK/dV and a bias shared by the batch and the
    /// sinks' gradients are the same bits on every run: each shared sum is added on one thread in a fixed order.
    /// </summary>
    [Fact]
    public void GradientsAreTheSameBitsOnEveryRun()
    {
        Operator op = Operators.Single(o => o.Name == "MultiMax2");
        var c = new Case(4, 8, 2, 128, 128, 64, Causal: true, Bias: BiasKind.SharedByBatch, Sinks: true);
        var random = new Random(3);
        AttentionShape shape = c.Shape;
        (double[] q, double[] k, double[] v, double[] dO, double[] parameters, double[] bias, double[] sinks) = Draw(random, c, op.Layout());
        float[] Run()
        {
            var output = new float[shape.QueryLength];
            var logSumExp = new float[shape.LogSumExpLength];
            AttentionOptions<float> options = Options(c, TestData.ToFloat(bias), TestData.ToFloat(sinks), null);
            op.ForwardFloat!(TestData.ToFloat(q), TestData.ToFloat(k), TestData.ToFloat(v), output, logSumExp, shape, TestData.ToFloat(parameters), options);
            float[] dq = new float[q.Length], dk = new float[k.Length], dv = new float[v.Length], dp = new float[parameters.Length];
            float[] db = new float[bias.Length], dc = new float[sinks.Length];
            op.BackwardFloat!(TestData.ToFloat(q), TestData.ToFloat(k), TestData.ToFloat(v), output, logSumExp, TestData.ToFloat(dO), dq, dk, dv, shape,
                TestData.ToFloat(parameters), dp, options, db, dc);
            return [.. output, .. dq, .. dk, .. dv, .. dp, .. db, .. dc];
        }

        float[] first = Run();
        Assert.Equal(first, Run());
        Assert.Equal(first, Run());
    }

    /// <summary>
    /// A NaN sink makes its head's outputs NaN, as a NaN parameter does, and masked pairs still add nothing: a padding
    /// key's dK and dV stay 0 (what the materialized formula gives, its padding rows filled with 0).
    /// </summary>
    [Fact]
    public void ANaNSinkLeavesPaddingKeysAlone()
    {
        var shape = new AttentionShape(1, 2, 5, 9, 16) { KeyValueHeads = 1 };
        var random = new Random(5);
        double[] q = TestData.Normal(random, (int)shape.QueryLength, 1), k = TestData.Normal(random, (int)shape.KeyLength, 1);
        double[] v = TestData.Normal(random, (int)shape.KeyLength, 1), dO = TestData.Normal(random, (int)shape.QueryLength, 1);
        bool[] padding = [false, false, true, false, false, false, false, true, false];
        var options = new AttentionOptions<double> { KeyPaddingMask = padding, Sinks = new[] { double.NaN, 0.5 } };
        var output = new double[shape.QueryLength];
        var logSumExp = new double[shape.LogSumExpLength];
        BuiltIns.MultiMax2Attention(q, k, v, output, logSumExp, shape, new double[8], options);
        Assert.All(output.AsSpan(0, 5 * 16).ToArray(), value => Assert.True(double.IsNaN(value)));
        Assert.All(output.AsSpan(5 * 16).ToArray(), value => Assert.True(double.IsFinite(value)));

        double[] dq = new double[q.Length], dk = new double[k.Length], dv = new double[v.Length], sinkGradient = new double[2];
        BuiltIns.MultiMax2AttentionBackward(q, k, v, output, logSumExp, dO, dq, dk, dv, shape, new double[8], new double[8], options, default, sinkGradient);
        foreach (int key in new[] { 2, 7 })
        {
            Assert.All(dk.AsSpan(key * 16, 16).ToArray().Concat(dv.AsSpan(key * 16, 16).ToArray()), value => Assert.Equal(0, value));
        }

        Assert.True(double.IsNaN(sinkGradient[0]));
        Assert.True(double.IsFinite(sinkGradient[1]));
    }

    [Fact]
    public void BadOptionsAreRefusedBeforeAnythingIsWritten()
    {
        var shape = new AttentionShape(1, 4, 3, 5, 8) { KeyValueHeads = 2 };
        var q = new float[shape.QueryLength];
        var k = new float[shape.KeyLength];
        var o = new float[shape.QueryLength];
        var l = new float[shape.LogSumExpLength];
        o.AsSpan().Fill(7);
        var bias = new float[4 * 3 * 5];

        // A ref struct cannot be captured by Assert.Throws's lambda: the calls are caught here instead.
        void Refused<TException>(AttentionShape s, AttentionOptions<float> options, string parameter)
            where TException : ArgumentException
        {
            var keys = new float[s.KeyLength];
            try
            {
                BuiltIns.SoftMaxAttention(q, keys, keys, o, l, s, options);
            }
            catch (TException e)
            {
                Assert.Equal(parameter, e.ParamName);
                Assert.All(o, value => Assert.Equal(7f, value));
                return;
            }

            Assert.Fail($"{parameter}: not refused");
        }

        Refused<ArgumentOutOfRangeException>(new AttentionShape(1, 4, 3, 5, 8) { KeyValueHeads = 3 }, default, "shape");
        Refused<ArgumentOutOfRangeException>(new AttentionShape(1 << 12, 1 << 20, 0, 1, 1) { KeyValueHeads = 1 }, default, "shape"); // 2³² heads, keys to work on
        Refused<ArgumentOutOfRangeException>(shape, new AttentionOptions<float> { Window = (-1, 0) }, "options.Window");
        Refused<ArgumentOutOfRangeException>(shape, new AttentionOptions<float> { Alignment = (CausalAlignment)7 }, "options.Alignment");
        Refused<ArgumentException>(shape, new AttentionOptions<float> { Bias = bias, BiasShape = new(1, 2, 3, 5) }, "options.BiasShape");
        Refused<ArgumentException>(shape, new AttentionOptions<float> { Bias = bias.AsSpan(1) }, "options.Bias");
        Refused<ArgumentException>(shape, new AttentionOptions<float> { Sinks = new float[2] }, "options.Sinks");
        Refused<ArgumentException>(shape, new AttentionOptions<float> { Bias = o.AsSpan(0, bias.Length) }, "output");

        // The backward: a bias gradient without a bias, one of the wrong length, and one that overlaps an input.
        var dq = new float[q.Length];
        dq.AsSpan().Fill(7);
        void BackwardRefused(AttentionOptions<float> options, Span<float> biasGradient, Span<float> sinkGradient, string parameter)
        {
            try
            {
                BuiltIns.SoftMaxAttentionBackward(q, k, k, o, l, q, dq, new float[k.Length], new float[k.Length], shape, options, biasGradient, sinkGradient);
            }
            catch (ArgumentException e)
            {
                Assert.Equal(parameter, e.ParamName);
                Assert.All(dq, value => Assert.Equal(7f, value));
                return;
            }

            Assert.Fail($"{parameter}: not refused");
        }

        BackwardRefused(default, new float[3], default, "biasGradient");
        BackwardRefused(new AttentionOptions<float> { Bias = bias }, new float[bias.Length - 1], default, "biasGradient");
        BackwardRefused(new AttentionOptions<float> { Sinks = new float[4] }, default, new float[3], "sinkGradient");
        ArgumentException overlap = Assert.ThrowsAny<ArgumentException>(() => BuiltIns.SoftMaxAttentionBackward(
            q, k, k, o, l, q, dq, new float[k.Length], new float[k.Length], shape, new AttentionOptions<float> { Bias = bias }, bias, default));
        Assert.Equal("biasGradient", overlap.ParamName);
        Assert.All(dq, value => Assert.Equal(7f, value));
    }

    /// <summary>One case of <paramref name="op"/> in one element type against the reference: output, log-sum-exp and every gradient.</summary>
    private static void Check<T>(
        Operator op, Case c, AttentionForwardWithOptions<T> forward, AttentionBackwardWithOptions<T> backward,
        Func<double[], T[]> convert, Func<T[], double[]> back, double tolerance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(StableSeed.Of(c.ToString()));
        AttentionShape shape = c.Shape;
        ParameterLayout layout = op.Layout();
        (double[] q, double[] k, double[] v, double[] dO, double[] parameters, double[] bias, double[] sinks) = Draw(random, c, layout);
        bool[]? padding = new AttentionCase(c.Batch, c.Heads, c.Queries, c.Keys, c.HeadSize, c.Causal, c.Padding).DrawMask(random);

        // Rounded once to T, so that the reference sees exactly what the kernels see.
        q = back(convert(q)); k = back(convert(k)); v = back(convert(v)); dO = back(convert(dO)); parameters = back(convert(parameters));
        bias = back(convert(bias)); sinks = back(convert(sinks));
        var referenceOptions = new ReferenceAttentionOptions(padding, c.Causal, c.Alignment, c.Window,
            c.Bias == BiasKind.None ? null : bias, c.BiasShape, c.Sinks ? sinks : null);
        var reference = new ReferenceAttention(layout.Bind(parameters), shape, referenceOptions, shape.DefaultScale);
        (double[] expectedOutput, double[] expectedLogSumExp) = reference.Forward(q, k, v);
        (double[] dq, double[] dk, double[] dv, double[] dp, double[] db, double[] dc) = reference.Backward(q, k, v, dO, layout);

        T[] biasT = convert(bias), sinksT = convert(sinks);
        AttentionOptions<T> options = Options(c, biasT, sinksT, padding);
        var output = new T[shape.QueryLength];
        var logSumExp = new T[shape.LogSumExpLength];
        forward(convert(q), convert(k), convert(v), output, logSumExp, shape, convert(parameters), options);
        var gq = new T[q.Length];
        var gk = new T[k.Length];
        var gv = new T[v.Length];
        var gp = new T[parameters.Length];
        var gb = new T[c.Bias == BiasKind.None ? 0 : bias.Length];
        var gc = new T[c.Sinks ? sinks.Length : 0];
        backward(convert(q), convert(k), convert(v), output, logSumExp, convert(dO), gq, gk, gv, shape, convert(parameters), gp, options, gb, gc);

        string what = $"{op.Name} {typeof(T).Name} {c}";
        Close.All(expectedOutput, back(output), tolerance, tolerance * 10, what + " output");
        Close.All(expectedLogSumExp, back(logSumExp), tolerance, tolerance * 10, what + " logSumExp");
        // Gradients are compared relative to their largest entry: float rounding of a steep σ scales with it.
        Close.All(dq, back(gq), tolerance * 5 * Magnitude(dq), tolerance * 50, what + " dQuery");
        Close.All(dk, back(gk), tolerance * 5 * Magnitude(dk), tolerance * 50, what + " dKey");
        Close.All(dv, back(gv), tolerance * 5 * Magnitude(dv), tolerance * 50, what + " dValue");
        Close.All(dp, back(gp), tolerance * 20 * Magnitude(dp), tolerance * 50, what + " parameter gradients");
        Close.All(db, back(gb), tolerance * 5 * Magnitude(db), tolerance * 50, what + " dBias");
        Close.All(dc, back(gc), tolerance * 5 * Magnitude(dc), tolerance * 50, what + " dSinks");
    }

    private static double Magnitude(double[] values) => 1 + values.Select(Math.Abs).DefaultIfEmpty(0).Max();

    private static (double[] Query, double[] Key, double[] Value, double[] OutputGradient, double[] Parameters, double[] Bias, double[] Sinks) Draw(
        Random random, Case c, ParameterLayout layout)
    {
        AttentionShape shape = c.Shape;
        double[] q = TestData.Normal(random, (int)shape.QueryLength, 1), k = TestData.Normal(random, (int)shape.KeyLength, 1);
        double[] v = TestData.Normal(random, (int)shape.KeyLength, 1), dO = TestData.Normal(random, (int)shape.QueryLength, 1);
        double[] parameters = TestData.Parameters(random, layout);
        double[] bias = TestData.Normal(random, (int)c.BiasShape.Length, 0.5);
        if (c.Bias == BiasKind.WithMaskedEntries)
        {
            for (int i = 0; i < bias.Length; i += 3)
            {
                bias[i] = double.NegativeInfinity;
            }

            // The first query of the first head sees nothing: output 0, zero gradients.
            bias.AsSpan(0, c.Keys).Fill(double.NegativeInfinity);
        }

        double[] sinks = TestData.Normal(random, c.Heads, 1);
        return (q, k, v, dO, parameters, bias, sinks);
    }

    private static AttentionOptions<T> Options<T>(Case c, T[] bias, T[] sinks, bool[]? padding)
        where T : unmanaged, IFloatingPointIeee754<T> => new()
        {
            KeyPaddingMask = padding,
            Causal = c.Causal,
            Alignment = c.Alignment,
            Window = c.Window,
            Bias = c.Bias == BiasKind.None ? default : bias,
            BiasShape = c.BiasShape,
            Sinks = c.Sinks ? sinks : default,
        };
}
